import { describe, expect, it } from 'vitest';

import {
  SAM,
  makeMessage,
  makeNote,
  makePanel,
  makeRow,
  messageItem,
  noteItem,
} from '../test/inboxFactories';
import type { Message, Person, ThreadItem } from './api';
import { withItem, withMessage, withState, withStatus } from './threadState';
import type { ConversationPayload } from './threadState';

function idsOf(thread: ThreadItem[]): string[] {
  return thread.map((item) =>
    item.kind === 'message'
      ? `m${item.message.id}`
      : item.kind === 'note'
        ? `n${item.note.id}`
        : `a@${item.at}`,
  );
}

const noOne = (): Person | null => null;

describe('withItem', () => {
  it('adds a new text at the end of the thread', () => {
    const panel = makePanel();
    const reply = makeMessage({ id: 102, created_at: '2026-12-03T18:02:00.125000+00:00' });

    const next = withItem(panel, messageItem(reply));

    expect(idsOf(next.thread)).toEqual(['m100', 'm101', 'm102']);
    expect(idsOf(panel.thread)).toEqual(['m100', 'm101']);
  });

  it('puts an item that arrives late in its place by time', () => {
    // Panel times come from the API ("Z"), event times from isoformat().
    const panel = makePanel();
    const earlier = makeNote({ id: 201, created_at: '2026-12-03T17:59:30.500000+00:00' });

    const next = withItem(panel, noteItem(earlier));

    expect(idsOf(next.thread)).toEqual(['m100', 'n201', 'm101']);
  });

  it('puts an item after those of the same time', () => {
    const panel = makePanel();
    const same = makeNote({ id: 201, created_at: '2026-12-03T18:00:00Z' });

    const next = withItem(panel, noteItem(same));

    expect(idsOf(next.thread)).toEqual(['m100', 'm101', 'n201']);
  });

  it('changes nothing for a text the thread already has', () => {
    const panel = makePanel();

    const next = withItem(panel, messageItem(makeMessage({ id: 101, body: 'again' })));

    expect(next).toBe(panel);
  });

  it('keeps a note whose id is also the id of a text', () => {
    const panel = makePanel();

    const next = withItem(panel, noteItem(makeNote({ id: 101 })));

    expect(idsOf(next.thread)).toEqual(['m100', 'm101', 'n101']);
  });
});

describe('withStatus', () => {
  it('moves on the status of that message only', () => {
    const panel = makePanel();
    const untouched = panel.thread[1];

    const next = withStatus(panel, 100, 'failed', '');

    const [changed, other] = next.thread;
    expect(changed).toMatchObject({ message: { id: 100, status: 'failed', block_reason: '' } });
    expect(other).toBe(untouched);
  });

  it('keeps the block reason a blocked text comes with', () => {
    const panel = makePanel();

    const next = withStatus(panel, 100, 'blocked', 'opted_out');

    expect(next.thread[0]).toMatchObject({
      message: { status: 'blocked', block_reason: 'opted_out' },
    });
  });

  it('changes nothing for a message the thread does not show', () => {
    const panel = makePanel();

    expect(withStatus(panel, 999, 'delivered', '')).toBe(panel);
  });
});

describe('withMessage', () => {
  const rows = [
    makeRow({ id: 5, unread_count: 0, waiting_since: null }),
    makeRow({ id: 6, unread_count: 0 }),
    makeRow({ id: 7, unread_count: 1, waiting_since: '2026-12-03T18:00:00Z' }),
  ];

  function inbound(overrides: Partial<Message> = {}): Message {
    return makeMessage({
      id: 150,
      body: 'Still there?',
      created_at: '2026-12-03T18:20:00Z',
      ...overrides,
    });
  }

  function reply(overrides: Partial<Message> = {}): Message {
    return makeMessage({
      id: 151,
      direction: 'outbound',
      author: 'user',
      author_user_id: SAM.id,
      body: 'Calling you now.',
      status: 'queued',
      created_at: '2026-12-03T18:21:00Z',
      ...overrides,
    });
  }

  it('moves the row to the top with the new text', () => {
    const next = withMessage(rows, 7, inbound(), false);

    expect(next.map((row) => row.id)).toEqual([7, 5, 6]);
    expect(next[0]!.last_message).toEqual({
      body: 'Still there?',
      direction: 'inbound',
      author: 'contact',
      author_user_id: null,
      at: '2026-12-03T18:20:00Z',
    });
  });

  it('counts a text from the contact as unread when nobody reads the conversation', () => {
    const next = withMessage(rows, 7, inbound(), false);

    expect(next[0]!.unread_count).toBe(2);
  });

  it('does not count a text as unread while the person reads the conversation', () => {
    const next = withMessage(rows, 7, inbound(), true);

    expect(next[0]!.unread_count).toBe(1);
  });

  it('does not count an outbound text as unread', () => {
    const next = withMessage(rows, 7, reply(), false);

    expect(next[0]!.unread_count).toBe(1);
  });

  it('starts the wait at the first unanswered text and keeps it after', () => {
    const started = withMessage(rows, 5, inbound(), false);
    const kept = withMessage(rows, 7, inbound(), false);

    expect(started[0]!.waiting_since).toBe('2026-12-03T18:20:00Z');
    expect(kept[0]!.waiting_since).toBe('2026-12-03T18:00:00Z');
  });

  it('ends the wait when a person or the agent answers', () => {
    expect(withMessage(rows, 7, reply(), false)[0]!.waiting_since).toBeNull();
    expect(withMessage(rows, 7, reply({ author: 'agent' }), false)[0]!.waiting_since).toBeNull();
  });

  it('keeps the wait for a blocked answer or a workflow notification', () => {
    const blocked = withMessage(rows, 7, reply({ status: 'blocked' }), false);
    const notification = withMessage(rows, 7, reply({ author: 'workflow' }), false);

    expect(blocked[0]!.waiting_since).toBe('2026-12-03T18:00:00Z');
    expect(notification[0]!.waiting_since).toBe('2026-12-03T18:00:00Z');
  });

  it('leaves the list alone for a conversation it does not show', () => {
    expect(withMessage(rows, 99, inbound(), false)).toBe(rows);
  });
});

describe('withState', () => {
  function payload(overrides: Partial<ConversationPayload> = {}): ConversationPayload {
    return {
      id: 7,
      state: 'human_active',
      assignee_id: SAM.id,
      needs_attention: false,
      snoozed_until: null,
      ...overrides,
    };
  }

  it('applies the new state and flags', () => {
    const next = withState(makeRow(), payload({ snoozed_until: '2026-12-04T09:00:00Z' }), noOne);

    expect(next).toMatchObject({
      state: 'human_active',
      needs_attention: false,
      snoozed_until: '2026-12-04T09:00:00Z',
    });
  });

  it('keeps the assignee it knows even when the members are not loaded', () => {
    const row = makeRow({ assignee: SAM });

    const next = withState(row, payload(), noOne);

    expect(next.assignee).toBe(SAM);
  });

  it('names a new assignee from the members', () => {
    const lee = { id: 3, username: 'lee', name: 'Lee Chen' };

    const next = withState(makeRow({ assignee: SAM }), payload({ assignee_id: 3 }), (id) =>
      id === 3 ? lee : null,
    );

    expect(next.assignee).toBe(lee);
  });

  it('clears the assignee when the conversation is unassigned', () => {
    const next = withState(makePanel({ assignee: SAM }), payload({ assignee_id: null }), noOne);

    expect(next.assignee).toBeNull();
  });
});
