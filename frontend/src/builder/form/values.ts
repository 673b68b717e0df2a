// Reading and changing config values without mutating them, and the value
// rule of fields whose schema has no type.

import type { JsonSchema, JsonType } from './types';

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function typesOf(schema: JsonSchema): JsonType[] {
  if (schema.type === undefined) {
    return [];
  }
  return Array.isArray(schema.type) ? schema.type : [schema.type];
}

/** `object` with `key` set to `value`, or without `key` when value is undefined. */
export function withKey(
  object: Record<string, unknown>,
  key: string,
  value: unknown,
): Record<string, unknown> {
  const copy = { ...object };
  if (value === undefined) {
    delete copy[key];
  } else {
    copy[key] = value;
  }
  return copy;
}

/** Rename `from` to `to`, keeping the entry's place among the others. */
export function withRenamedKey(
  object: Record<string, unknown>,
  from: string,
  to: string,
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(object).map(([key, value]) => [key === from ? to : key, value]),
  );
}

/** `items` with the item at `from` moved to `to`; out-of-range moves change nothing. */
export function moved<T>(items: readonly T[], from: number, to: number): T[] {
  const copy = [...items];
  if (to < 0 || to >= copy.length || from < 0 || from >= copy.length) {
    return copy;
  }
  const [item] = copy.splice(from, 1) as [T];
  copy.splice(to, 0, item);
  return copy;
}

/**
 * The value a new list item or map entry starts with.
 *
 * The item schema's default when it has one; otherwise an object gets the
 * defaults of its properties, text starts empty, a number starts at its
 * minimum (the first one not taken yet when items must be unique), and a
 * value of no type starts empty.
 */
export function newItem(schema: JsonSchema, taken: readonly unknown[] = []): unknown {
  if (schema.default !== undefined) {
    return structuredClone(schema.default);
  }
  const [type] = typesOf(schema).filter((name) => name !== 'null');
  if (type === 'object') {
    const item: Record<string, unknown> = {};
    for (const [key, property] of Object.entries(schema.properties ?? {})) {
      if (property.default !== undefined) {
        item[key] = structuredClone(property.default);
      }
    }
    return item;
  }
  if (type === 'array') {
    return [];
  }
  if (type === 'boolean') {
    return false;
  }
  if (type === 'integer' || type === 'number') {
    const low = schema.minimum ?? 0;
    const high = schema.maximum ?? low + taken.length;
    for (let candidate = low; candidate <= high; candidate += 1) {
      if (!schema.uniqueItems || !taken.includes(candidate)) {
        return candidate;
      }
    }
    return low;
  }
  return '';
}

// Fields without a type, such as a Branch condition's value, take text and
// read it this way: empty text is no value at all; text that is valid JSON
// for a number, true/false, null, a list or an object is that value
// ("42" → 42, '["a", "b"]' → a list); anything else, and JSON text in double
// quotes ('"42"' → the text 42), is text. So `gold` and `"gold"` are the
// same text, and quotes keep digits as text.
export function parseLoose(text: string): unknown {
  if (text.trim() === '') {
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The text that parseLoose reads back as `value`. */
export function formatLoose(value: unknown): string {
  if (value === undefined) {
    return '';
  }
  if (typeof value === 'string') {
    return parseLoose(value) === value ? value : JSON.stringify(value);
  }
  return JSON.stringify(value);
}

/** Structural equality for JSON values. */
export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
