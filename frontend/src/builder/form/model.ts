// What the settings form shows for a node kind and a config, as plain data:
// one FieldNode per setting, list item and map entry, in the order the form
// renders them. Components render this tree; problems are placed on it.

import type { FieldPath, JsonSchema, NodeConfig, NodeKind, NodeProblem } from './types';
import { isRecord, typesOf } from './values';

export type Control =
  | 'text'
  | 'textarea'
  | 'number'
  | 'checkbox'
  | 'select'
  | 'loose'
  | 'json'
  | 'object'
  | 'list'
  | 'map';

export interface FieldNode {
  path: FieldPath;
  // The path as validate_graph names it, e.g. "config.reminders.0.body".
  field: string;
  schema: JsonSchema;
  control: Control;
  label: string;
  description?: string;
  isRequired: boolean;
  isNullable: boolean;
  isTemplate: boolean;
  isSms: boolean;
  // As stored in the config; undefined when the setting is absent.
  value: unknown;
  // What the engine uses while the value is absent.
  defaultValue: unknown;
  // Set on a setting that is present though its kind ignores it for the
  // current values of other settings: says which values it needs.
  unusedNote?: string;
  // Object properties, list items or map entries.
  children: FieldNode[];
  // The entry's key, for the children of a map.
  entryKey?: string;
}

// Text longer than this gets a textarea instead of a one-line input.
export const LONG_TEXT_CHARS = 200;

/** The fields of `kind`'s settings form for `config`, as the form renders them. */
export function describeForm(kind: NodeKind, config: NodeConfig): FieldNode[] {
  const schema = kind.schema;
  const required = new Set(schema.required ?? []);
  const fields: FieldNode[] = [];
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    const value = config[key];
    const unusedNote = unusedSettingNote(kind, key, config);
    if (unusedNote !== null && value === undefined) {
      continue; // Not read for the current type or mode: not shown.
    }
    const node = describeField(kind, property, [key], value, undefined, required.has(key));
    fields.push(unusedNote === null ? node : { ...node, unusedNote });
  }

  return fields;
}

function describeField(
  kind: NodeKind,
  schema: JsonSchema,
  path: FieldPath,
  value: unknown,
  inheritedDefault: unknown,
  isRequired: boolean,
  label?: string,
): FieldNode {
  const types = typesOf(schema);
  const isTemplate = kind.template_fields.some((pattern) => matchesPattern(pattern, path));
  const control = controlFor(schema, isTemplate);
  const defaultValue = schema.default !== undefined ? schema.default : inheritedDefault;
  const node: FieldNode = {
    path,
    field: ['config', ...path].join('.'),
    schema,
    control,
    label: label ?? schema.title ?? humanize(String(path[path.length - 1])),
    description: schema.description,
    isRequired,
    isNullable: types.includes('null'),
    isTemplate,
    isSms: kind.sms_fields.some((pattern) => matchesPattern(pattern, path)),
    value,
    defaultValue,
    children: [],
  };

  if (control === 'object') {
    const shown = isRecord(value) ? value : {};
    const defaults = isRecord(defaultValue) ? defaultValue : {};
    const required = new Set(schema.required ?? []);
    node.children = Object.entries(schema.properties ?? {}).map(([key, property]) =>
      describeField(kind, property, [...path, key], shown[key], defaults[key], required.has(key)),
    );
  } else if (control === 'list') {
    const items = listItems(node);
    const itemSchema = schema.items ?? {};
    const itemTitle = itemSchema.title ?? 'Item';
    node.children = items.map((item, index) =>
      describeField(
        kind,
        itemSchema,
        [...path, index],
        item,
        undefined,
        false,
        `${itemTitle} ${index + 1}`,
      ),
    );
  } else if (control === 'map') {
    const entries = Object.entries(mapEntries(node));
    const valueSchema = isRecord(schema.additionalProperties) ? schema.additionalProperties : {};
    node.children = entries.map(([key, entry]) => ({
      ...describeField(kind, valueSchema, [...path, key], entry, undefined, false),
      entryKey: key,
    }));
  }

  return node;
}

function controlFor(schema: JsonSchema, isTemplate: boolean): Control {
  const [type] = typesOf(schema).filter((name) => name !== 'null');
  if (schema.enum !== undefined) {
    return 'select';
  }
  switch (type) {
    case undefined:
      return 'loose';
    case 'boolean':
      return 'checkbox';
    case 'integer':
    case 'number':
      return 'number';
    case 'array':
      return 'list';
    case 'object':
      if (schema.properties !== undefined) {
        return 'object';
      }
      return isRecord(schema.additionalProperties) ? 'map' : 'json';
    default:
      return isTemplate || (schema.maxLength ?? 0) > LONG_TEXT_CHARS ? 'textarea' : 'text';
  }
}

/** The items a list shows: its value, else its default, else none. */
export function listItems(node: FieldNode): unknown[] {
  if (Array.isArray(node.value)) {
    return node.value;
  }
  return Array.isArray(node.defaultValue) && node.value === undefined ? node.defaultValue : [];
}

/** The entries a map shows: its value, else its default, else none. */
export function mapEntries(node: FieldNode): Record<string, unknown> {
  if (isRecord(node.value)) {
    return node.value;
  }
  return isRecord(node.defaultValue) && node.value === undefined ? node.defaultValue : {};
}

/** Whether a dotted pattern such as "reminders.*.body" names `path`. */
export function matchesPattern(pattern: string, path: FieldPath): boolean {
  const parts = pattern.split('.');
  return (
    parts.length === path.length &&
    parts.every((part, index) => part === '*' || part === String(path[index]))
  );
}

/**
 * Why a top-level setting isn't read with this config, or null when it is.
 *
 * A setting absent from the config counts as its schema default, as the
 * engine reads it.
 */
export function unusedSettingNote(kind: NodeKind, key: string, config: NodeConfig): string | null {
  const needs = kind.applies_when[key];
  if (needs === undefined) {
    return null;
  }
  for (const [selector, values] of Object.entries(needs)) {
    const selectorSchema = kind.schema.properties?.[selector] ?? {};
    const current = config[selector] ?? selectorSchema.default;
    if (!values.includes(current)) {
      const name = selectorSchema.title ?? humanize(selector);
      const wanted = values.map(String).join(' or ');
      const now = current === undefined ? 'not set' : `${String(current)}`;
      return `Only read when ${name} is ${wanted}; it is ${now}. Clear this setting or change ${name}.`;
    }
  }
  return null;
}

/**
 * Settings to drop after `key` changed: those that applied before and no
 * longer do, so switching a trigger's type doesn't leave the old type's
 * settings behind to be refused as unused_setting.
 */
export function settingsLeftUnused(
  kind: NodeKind,
  key: string,
  before: NodeConfig,
  after: NodeConfig,
): string[] {
  return Object.entries(kind.applies_when)
    .filter(([, needs]) => key in needs)
    .map(([setting]) => setting)
    .filter(
      (setting) =>
        unusedSettingNote(kind, setting, before) === null &&
        unusedSettingNote(kind, setting, after) !== null,
    );
}

export interface PlacedProblems {
  // Field path ("config.goal") → the problems shown at that field.
  byField: Map<string, NodeProblem[]>;
  // Problems of the node as a whole, or of a field the form doesn't show.
  general: NodeProblem[];
}

/**
 * Put each problem at the field it names, or at the closest enclosing field
 * the form shows ("config.field_map.phone" lands on the field mapping when
 * there is no phone entry yet); the rest are general.
 */
export function placeProblems(fields: FieldNode[], problems: NodeProblem[]): PlacedProblems {
  const shown = new Set<string>();
  const collect = (node: FieldNode): void => {
    shown.add(node.field);
    node.children.forEach(collect);
  };
  fields.forEach(collect);

  const byField = new Map<string, NodeProblem[]>();
  const general: NodeProblem[] = [];
  for (const problem of problems) {
    const target = closestShown(problem.field, shown);
    if (target === null) {
      general.push(problem);
    } else {
      byField.set(target, [...(byField.get(target) ?? []), problem]);
    }
  }

  return { byField, general };
}

function closestShown(field: string | null, shown: Set<string>): string | null {
  if (field === null || !field.startsWith('config.')) {
    return null;
  }
  const parts = field.split('.');
  for (let length = parts.length; length > 1; length -= 1) {
    const candidate = parts.slice(0, length).join('.');
    if (shown.has(candidate)) {
      return candidate;
    }
  }
  return null;
}

function humanize(key: string): string {
  const words = key.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
