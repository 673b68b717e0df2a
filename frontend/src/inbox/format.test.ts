import { describe, expect, it } from 'vitest';

import { SAM, makeMessage } from '../test/inboxFactories';
import type { Activity, LastMessage, Message } from './api';
import { formatMoment } from '../dates';
import { activityText, authorLabel, lastMessagePrefix, tickFor, waitingFor } from './format';

function tickText(status: string, blockReason: string = ''): string {
  const tick = tickFor({ status, block_reason: blockReason });
  return `${tick.symbol} ${tick.label}`;
}

function activity(overrides: Partial<Activity>): Activity {
  return {
    type: 'change',
    change: null,
    assignee: null,
    snoozed_until: null,
    reason: null,
    step: null,
    ...overrides,
  };
}

const nobody = (): string | null => null;

describe('tickFor', () => {
  it('marks a delivered text with two ticks', () => {
    expect(tickText('delivered')).toBe('✓✓ Delivered');
    expect(tickFor({ status: 'delivered', block_reason: '' }).tone).toBe('delivered');
  });

  it('marks a text the carrier took with one tick', () => {
    expect(tickText('accepted')).toBe('✓ Sent');
    expect(tickText('sent')).toBe('✓ Sent');
  });

  it('shows a text on its way as sending, and a held one as held', () => {
    expect(tickText('queued')).toBe('⏱ Sending');
    expect(tickText('submitting')).toBe('⏱ Sending');
    expect(tickText('deferred')).toBe('⏱ Held for quiet hours or the daily cap');
  });

  it('says a failed text was not delivered', () => {
    expect(tickText('failed')).toBe('! Not delivered');
    expect(tickText('undelivered')).toBe('! Not delivered');
  });

  it('says why a blocked text was not sent', () => {
    expect(tickText('blocked', 'opted_out')).toBe('⛔ Not sent: the contact has opted out');
    expect(tickText('canceled', 'expired')).toBe(
      '⛔ Not sent: its purpose expired before it could be sent',
    );
    expect(tickText('blocked', 'something_new')).toBe('⛔ Not sent');
  });

  it('shows a status it does not know in words', () => {
    expect(tickFor({ status: 'on_hold', block_reason: '' }).label).toBe('On hold');
  });
});

describe('authorLabel', () => {
  it('names the person who sent a text from the inbox', () => {
    const message = makeMessage({ direction: 'outbound', author: 'user', author_user: SAM });

    expect(authorLabel(message, nobody)).toBe('Sam Okafor');
  });

  it('names the sender of a live text from the members by id', () => {
    const message: Message = { ...makeMessage({ author: 'user' }), author_user_id: 2 };
    delete message.author_user;

    expect(authorLabel(message, (id) => (id === 2 ? 'Sam Okafor' : null))).toBe('Sam Okafor');
    expect(authorLabel(message, nobody)).toBe('Team member');
  });

  it('labels the contact, the agent and the workflow', () => {
    expect(authorLabel(makeMessage({ author: 'contact' }), nobody)).toBe('Contact');
    expect(authorLabel(makeMessage({ author: 'agent' }), nobody)).toBe('AI agent');
    expect(authorLabel(makeMessage({ author: 'workflow' }), nobody)).toBe('Workflow');
  });
});

describe('activityText', () => {
  it('gives the reason a handoff was asked for', () => {
    expect(activityText(activity({ type: 'handoff', reason: 'Wants a callback' }))).toBe(
      'Needs a person: Wants a callback',
    );
    expect(activityText(activity({ type: 'handoff', reason: '' }))).toBe(
      'Needs a person: no reason given',
    );
  });

  it('says who took over or was assigned', () => {
    expect(activityText(activity({ change: 'taken_over', assignee: SAM }))).toBe(
      'Taken over · assigned to Sam Okafor',
    );
    expect(activityText(activity({ change: 'assigned', assignee: SAM }))).toBe(
      'Assigned to Sam Okafor',
    );
    expect(activityText(activity({ change: 'assigned' }))).toBe('Unassigned');
  });

  it('describes the other changes of a conversation', () => {
    expect(activityText(activity({ change: 'handed_back' }))).toBe('Handed back to the AI agent');
    expect(activityText(activity({ change: 'resolved' }))).toBe('Resolved');
    expect(activityText(activity({ change: 'opted_out' }))).toBe('The contact opted out of texts');
    expect(activityText(activity({ change: 'snoozed' }))).toBe('Snoozed');
    expect(activityText(activity({ change: 'edited_in_admin' }))).toBe('Changed in the admin');
    expect(activityText(activity({ change: 'edited_in_admin', assignee: SAM }))).toBe(
      'Changed in the admin · assigned to Sam Okafor',
    );
  });

  it('says until when a conversation is snoozed', () => {
    const now = new Date('2026-12-03T18:00:00Z');
    const until = '2026-12-05T14:00:00Z';

    expect(activityText(activity({ change: 'snoozed', snoozed_until: until }), now)).toBe(
      `Snoozed until ${formatMoment(until, now)}`,
    );
  });

  it('names the workflow step that finished and where it went', () => {
    const step = {
      node_id: 'ask',
      kind: 'agent_sms',
      status: 'succeeded',
      port: 'booked',
      workflow: 'Missed call',
      run_id: 4,
    };

    expect(activityText(activity({ type: 'step', step }))).toBe(
      'Missed call: ask (agent sms) → booked',
    );
    expect(activityText(activity({ type: 'step', step: { ...step, status: 'failed' } }))).toBe(
      'Missed call: ask (agent sms) failed',
    );
  });
});

describe('waitingFor', () => {
  const now = new Date('2026-12-03T18:00:00Z');

  it('says how long the contact has waited, in the largest whole unit', () => {
    expect(waitingFor('2026-12-03T17:59:30Z', now)).toBe('now');
    expect(waitingFor('2026-12-03T17:56:00Z', now)).toBe('4m');
    expect(waitingFor('2026-12-03T15:30:00Z', now)).toBe('2h');
    expect(waitingFor('2026-11-30T17:00:00Z', now)).toBe('3d');
  });

  it('is empty when nobody waits', () => {
    expect(waitingFor(null, now)).toBe('');
  });
});

describe('lastMessagePrefix', () => {
  const ME = 9;
  const names = (id: number) => (id === SAM.id ? SAM.name : null);
  const last = (overrides: Partial<LastMessage>): LastMessage => ({
    body: 'Hello',
    direction: 'outbound',
    author: 'agent',
    author_user_id: null,
    at: '2026-12-03T18:00:00Z',
    ...overrides,
  });

  it('says nothing before the contact and names everyone else', () => {
    expect(lastMessagePrefix(last({ direction: 'inbound', author: 'contact' }), ME, names)).toBe(
      '',
    );
    expect(lastMessagePrefix(last({ author: 'agent' }), ME, names)).toBe('AI agent: ');
    expect(lastMessagePrefix(last({ author: 'workflow' }), ME, names)).toBe('Workflow: ');
  });

  it('says "You" only for what the reader wrote', () => {
    expect(lastMessagePrefix(last({ author: 'user', author_user_id: ME }), ME, names)).toBe(
      'You: ',
    );
    expect(lastMessagePrefix(last({ author: 'user', author_user_id: SAM.id }), ME, names)).toBe(
      'Sam Okafor: ',
    );
    expect(lastMessagePrefix(last({ author: 'user', author_user_id: 40 }), ME, names)).toBe(
      'Team member: ',
    );
    expect(lastMessagePrefix(last({ author: 'user', author_user_id: SAM.id }), null, names)).toBe(
      'Sam Okafor: ',
    );
  });
});
