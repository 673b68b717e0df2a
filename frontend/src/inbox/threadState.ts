// Pure updates of what the inbox shows, applied as live events arrive.
// The API stays the source of truth: the page refetches after events, and
// these only make the change visible at once.
import type { ConversationPanel, InboxRow, Message, Person, ThreadItem } from './api';

const ANSWERING_AUTHORS = new Set(['agent', 'user']);
const UNSENT = new Set(['blocked', 'canceled']);

function itemKey(item: ThreadItem): string | null {
  if (item.kind === 'message') {
    return `m${item.message.id}`;
  }
  if (item.kind === 'note') {
    return `n${item.note.id}`;
  }
  return null;
}

/** The panel with `item` in its thread, in time order; a repeat changes nothing. */
export function withItem(panel: ConversationPanel, item: ThreadItem): ConversationPanel {
  const key = itemKey(item);
  if (key !== null && panel.thread.some((existing) => itemKey(existing) === key)) {
    return panel;
  }
  const thread = [...panel.thread];
  let at = thread.length;
  while (at > 0 && thread[at - 1]!.at > item.at) {
    at -= 1;
  }
  thread.splice(at, 0, item);
  return { ...panel, thread };
}

/** The panel with one message's delivery status moved on. */
export function withStatus(
  panel: ConversationPanel,
  messageId: number,
  status: string,
  blockReason: string,
): ConversationPanel {
  let changed = false;
  const thread = panel.thread.map((item) => {
    if (item.kind !== 'message' || item.message.id !== messageId) {
      return item;
    }
    changed = true;
    return { ...item, message: { ...item.message, status, block_reason: blockReason } };
  });
  return changed ? { ...panel, thread } : panel;
}

/**
 * The list after a new text in conversation `id`: its row moves to the
 * top with the text, and counts as unread unless the person is reading it.
 */
export function withMessage(
  rows: InboxRow[],
  id: number,
  message: Message,
  reading: boolean,
): InboxRow[] {
  const row = rows.find((candidate) => candidate.id === id);
  if (row === undefined) {
    return rows;
  }
  const inbound = message.direction === 'inbound';
  const answered = !inbound && ANSWERING_AUTHORS.has(message.author) && !UNSENT.has(message.status);
  const updated: InboxRow = {
    ...row,
    last_message: {
      body: message.body,
      direction: message.direction,
      author: message.author,
      author_user_id: message.author_user?.id ?? message.author_user_id ?? null,
      at: message.created_at,
    },
    unread_count: inbound && !reading ? row.unread_count + 1 : row.unread_count,
    waiting_since: inbound
      ? (row.waiting_since ?? message.created_at)
      : answered
        ? null
        : row.waiting_since,
  };
  return [updated, ...rows.filter((candidate) => candidate.id !== id)];
}

export interface ConversationPayload {
  id: number;
  state: InboxRow['state'];
  assignee_id: number | null;
  needs_attention: boolean;
  snoozed_until: string | null;
}

/** A row or panel with the conversation's new state, assignee and flags. */
export function withState<T extends InboxRow | ConversationPanel>(
  target: T,
  state: ConversationPayload,
  person: (id: number) => Person | null,
): T {
  const assignee =
    state.assignee_id === null
      ? null
      : target.assignee?.id === state.assignee_id
        ? target.assignee
        : person(state.assignee_id);
  return {
    ...target,
    state: state.state,
    needs_attention: state.needs_attention,
    snoozed_until: state.snoozed_until,
    assignee,
  };
}
