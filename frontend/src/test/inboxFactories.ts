// Inbox data shaped as conversations/serializers.py sends it, with
// defaults a test overrides where it matters.
import type { ConversationPanel, InboxRow, Message, Note, ThreadItem } from '../inbox/api';

export const SAM = { id: 2, username: 'sam', name: 'Sam Okafor' };

export function makeRow(overrides: Partial<InboxRow> = {}): InboxRow {
  return {
    id: 7,
    contact: { id: 31, name: 'Maya Lopez', phone: '+12125550101' },
    state: 'ai_active',
    assignee: null,
    needs_attention: true,
    last_message: {
      body: 'Can someone call me?',
      direction: 'inbound',
      author: 'contact',
      author_user_id: null,
      at: '2026-12-03T18:00:00Z',
    },
    waiting_since: '2026-12-03T18:00:00Z',
    unread_count: 1,
    snoozed_until: null,
    ...overrides,
  };
}

/** A message as the panel's thread has it (`author_user` named in full). */
export function makeMessage(overrides: Partial<Message> = {}): Message {
  return {
    id: 101,
    direction: 'inbound',
    author: 'contact',
    author_user: null,
    purpose: 'conversation',
    body: 'Can someone call me?',
    media: [],
    status: 'received',
    block_reason: '',
    created_at: '2026-12-03T18:00:00Z',
    ...overrides,
  };
}

export function makeNote(overrides: Partial<Note> = {}): Note {
  return {
    id: 201,
    author: SAM,
    body: 'Called, no answer.',
    created_at: '2026-12-03T18:10:00Z',
    ...overrides,
  };
}

export function messageItem(message: Message): ThreadItem {
  return { kind: 'message', at: message.created_at, message };
}

export function noteItem(note: Note): ThreadItem {
  return { kind: 'note', at: note.created_at, note };
}

export function makePanel(overrides: Partial<ConversationPanel> = {}): ConversationPanel {
  return {
    id: 7,
    state: 'ai_active',
    assignee: null,
    needs_attention: true,
    snoozed_until: null,
    last_message_at: '2026-12-03T18:00:00Z',
    created_at: '2026-12-03T17:58:00Z',
    closed_at: null,
    contact: {
      id: 31,
      name: 'Maya Lopez',
      first_name: 'Maya',
      last_name: 'Lopez',
      phone: '+12125550101',
      email: '',
      time_zone: 'America/New_York',
      custom_fields: {},
      tags: [],
    },
    handoff: null,
    run: null,
    agent: null,
    thread: [
      messageItem(
        makeMessage({
          id: 100,
          direction: 'outbound',
          author: 'agent',
          body: 'Hi Maya, we missed your call. How can we help?',
          status: 'delivered',
          created_at: '2026-12-03T17:59:00Z',
        }),
      ),
      messageItem(makeMessage()),
    ],
    ...overrides,
  };
}
