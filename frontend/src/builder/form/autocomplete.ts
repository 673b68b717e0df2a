// Where a template field's caret is inside an unfinished `{{ … }}`, which
// variables fit what is typed there, and the text once one is picked.

import type { TemplateVariable } from './types';

export interface OpenTag {
  // Index of the `{{` (or of the caret, for a list opened with Ctrl+Space).
  start: number;
  // The dotted path typed after `{{ ` so far.
  query: string;
}

/**
 * The unfinished `{{ path` that ends at `caret`, or null.
 *
 * Null once the expression is closed, or when it holds more than a dotted
 * path (a filter, a call): the list would not fit there.
 */
export function findOpenTag(text: string, caret: number): OpenTag | null {
  const before = text.slice(0, caret);
  const start = before.lastIndexOf('{{');
  if (start < 0) {
    return null;
  }
  const match = /^\s*([\w.]*)$/.exec(before.slice(start + 2));
  if (match === null) {
    return null;
  }

  return { start, query: match[1] ?? '' };
}

// More than this and the list stops being something to scroll through.
const MAX_SHOWN = 50;

/** Variables whose path contains `query`, ignoring case; prefixes first. */
export function filterVariables(
  variables: readonly TemplateVariable[],
  query: string,
): TemplateVariable[] {
  const wanted = query.toLowerCase();
  const matching = variables.filter((variable) => variable.path.toLowerCase().includes(wanted));
  const prefixed = matching.filter((variable) => variable.path.toLowerCase().startsWith(wanted));
  const inside = matching.filter((variable) => !variable.path.toLowerCase().startsWith(wanted));

  return [...prefixed, ...inside].slice(0, MAX_SHOWN);
}

/**
 * Replace `text` from `start` to `caret` with `{{ path }}`.
 *
 * A `}}` already right after the caret is taken in, so picking a variable
 * inside `{{ co }}` does not leave a second pair of braces. Returns the new
 * text and the caret after the inserted expression.
 */
export function insertVariable(
  text: string,
  start: number,
  caret: number,
  path: string,
): { text: string; caret: number } {
  const expression = `{{ ${path} }}`;
  const closing = /^\s*\}\}/.exec(text.slice(caret));
  const rest = text.slice(caret + (closing?.[0].length ?? 0));

  return { text: text.slice(0, start) + expression + rest, caret: start + expression.length };
}
