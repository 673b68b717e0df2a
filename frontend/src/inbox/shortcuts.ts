// The inbox's keyboard shortcuts: single keys, as in mail clients, active
// only when no text field has the focus.
import type { View } from './api';
import { VIEWS } from './api';

export type Shortcut =
  | { action: 'next' | 'previous' | 'search' | 'reply' | 'note' | 'take_over' }
  | { action: 'hand_back' | 'resolve' | 'snooze' | 'assign_me' | 'help' }
  | { action: 'view'; view: View };

export const SHORTCUT_HELP: [string, string][] = [
  ['j / k', 'Next / previous conversation'],
  ['/', 'Search'],
  ['r', 'Reply'],
  ['n', 'Write a private note'],
  ['t', 'Take over'],
  ['h', 'Hand back to the AI agent'],
  ['a', 'Assign to me'],
  ['s', 'Snooze'],
  ['e', 'Resolve'],
  ['1 – 6', 'Switch view'],
  ['?', 'Show or hide these shortcuts'],
];

const KEYS: Record<string, Shortcut> = {
  j: { action: 'next' },
  k: { action: 'previous' },
  '/': { action: 'search' },
  r: { action: 'reply' },
  n: { action: 'note' },
  t: { action: 'take_over' },
  h: { action: 'hand_back' },
  a: { action: 'assign_me' },
  s: { action: 'snooze' },
  e: { action: 'resolve' },
  '?': { action: 'help' },
};

/** The shortcut a key press means, or null when it is typing or has modifiers. */
export function shortcutFor(event: KeyboardEvent): Shortcut | null {
  if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) {
    return null;
  }
  if (isTextField(event.target)) {
    return null;
  }
  const digit = Number(event.key);
  if (Number.isInteger(digit) && digit >= 1 && digit <= VIEWS.length) {
    return { action: 'view', view: VIEWS[digit - 1]! };
  }
  return KEYS[event.key] ?? null;
}

function isTextField(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) {
    return false;
  }
  if (target.isContentEditable || target instanceof HTMLTextAreaElement) {
    return true;
  }
  if (target instanceof HTMLSelectElement) {
    return true;
  }
  if (target instanceof HTMLInputElement) {
    return !['button', 'checkbox', 'radio', 'submit', 'reset'].includes(target.type);
  }
  return false;
}
