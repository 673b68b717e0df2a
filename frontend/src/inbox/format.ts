// Words the inbox shows, kept apart from the components so they
// read the same in the list, the thread and the side panel.
import { formatMoment } from '../dates';
import type { Activity, Author, ConversationState, LastMessage, Message, Person } from './api';

export const VIEW_LABELS = {
  needs_human: 'Needs a human',
  mine: 'Mine',
  unassigned: 'Unassigned',
  open: 'All open',
  snoozed: 'Snoozed',
  resolved: 'Resolved',
} as const;

export const STATE_LABELS: Record<ConversationState, string> = {
  ai_active: 'AI agent',
  human_active: 'Person',
  waiting: 'Waiting',
  closed: 'Resolved',
};

const AUTHOR_LABELS: Record<Author, string> = {
  contact: 'Contact',
  agent: 'AI agent',
  user: 'Team member',
  system: 'System',
  workflow: 'Workflow',
};

// Kept in step with BLOCK_EXPLANATIONS in conversations/compliance.py.
const BLOCK_REASONS: Record<string, string> = {
  opted_out: 'the contact has opted out',
  suppressed: 'the number is on a suppression list',
  unreachable: 'the carrier reported the number cannot receive texts',
  no_consent: 'the contact has not consented to texts',
  expired: 'its purpose expired before it could be sent',
  confirmation_not_due: 'only one opt-out confirmation may be sent',
};

export interface Tick {
  symbol: string;
  label: string;
  tone: 'pending' | 'sent' | 'delivered' | 'failed';
}

/** The delivery mark of an outbound text, as a phone app would show it. */
export function tickFor(message: Pick<Message, 'status' | 'block_reason'>): Tick {
  switch (message.status) {
    case 'delivered':
      return { symbol: '✓✓', label: 'Delivered', tone: 'delivered' };
    case 'sent':
    case 'accepted':
      return { symbol: '✓', label: 'Sent', tone: 'sent' };
    case 'deferred':
      return { symbol: '⏱', label: 'Held for quiet hours or the daily cap', tone: 'pending' };
    case 'queued':
    case 'submitting':
      return { symbol: '⏱', label: 'Sending', tone: 'pending' };
    case 'failed':
    case 'undelivered':
      return { symbol: '!', label: 'Not delivered', tone: 'failed' };
    case 'blocked':
    case 'canceled': {
      const why = BLOCK_REASONS[message.block_reason];
      return {
        symbol: '⛔',
        label: why === undefined ? 'Not sent' : `Not sent: ${why}`,
        tone: 'failed',
      };
    }
    default:
      return { symbol: '', label: capitalize(message.status), tone: 'pending' };
  }
}

export function authorLabel(message: Message, name: (id: number) => string | null): string {
  if (message.author === 'user') {
    const person = message.author_user ?? null;
    const id = person?.id ?? message.author_user_id ?? null;
    return person?.name ?? (id === null ? null : name(id)) ?? AUTHOR_LABELS.user;
  }
  return AUTHOR_LABELS[message.author] ?? capitalize(message.author);
}

/** Who wrote a row's last text, before it in the list; nothing for the contact. */
export function lastMessagePrefix(
  last: LastMessage,
  me: number | null,
  name: (id: number) => string | null,
): string {
  if (last.author === 'contact') {
    return '';
  }
  if (last.author === 'user' && last.author_user_id !== null) {
    return last.author_user_id === me
      ? 'You: '
      : `${name(last.author_user_id) ?? AUTHOR_LABELS.user}: `;
  }
  return `${AUTHOR_LABELS[last.author] ?? capitalize(last.author)}: `;
}

/** One line saying what happened, for an activity item of the thread. */
export function activityText(activity: Activity, now: Date = new Date()): string {
  if (activity.type === 'handoff') {
    return `Needs a person: ${activity.reason || 'no reason given'}`;
  }
  if (activity.type === 'step') {
    const step = activity.step;
    if (step === null) {
      return 'A workflow step finished';
    }
    const outcome = step.status === 'failed' ? ' failed' : step.port ? ` → ${step.port}` : '';
    return `${step.workflow}: ${step.node_id} (${step.kind.replace(/_/g, ' ')})${outcome}`;
  }
  const who = personName(activity.assignee);
  switch (activity.change) {
    case 'taken_over':
      return who === null ? 'Taken over by a person' : `Taken over · assigned to ${who}`;
    case 'assigned':
      return who === null ? 'Unassigned' : `Assigned to ${who}`;
    case 'handed_back':
      return 'Handed back to the AI agent';
    case 'resolved':
      return 'Resolved';
    case 'reopened':
      return 'Reopened by a new text';
    case 'snoozed':
      return activity.snoozed_until === null
        ? 'Snoozed'
        : `Snoozed until ${formatMoment(activity.snoozed_until, now)}`;
    case 'unsnoozed':
      return 'Back from snooze';
    case 'opted_out':
      return 'The contact opted out of texts';
    case 'agent_started':
      return 'The AI agent started the conversation';
    case 'agent_finished':
      return 'The AI agent finished';
    case 'edited_in_admin':
      return who === null ? 'Changed in the admin' : `Changed in the admin · assigned to ${who}`;
    default:
      return activity.change ?? 'Changed';
  }
}

export function personName(person: Person | null | undefined): string | null {
  return person === null || person === undefined ? null : person.name || person.username;
}

/** How long the contact has waited for an answer: "now", "4m", "2h", "3d". */
export function waitingFor(since: string | null, now: Date = new Date()): string {
  if (since === null) {
    return '';
  }
  const seconds = Math.max(0, (now.getTime() - new Date(since).getTime()) / 1000);
  if (seconds < 60) {
    return 'now';
  }
  if (seconds < 3600) {
    return `${Math.floor(seconds / 60)}m`;
  }
  if (seconds < 86_400) {
    return `${Math.floor(seconds / 3600)}h`;
  }
  return `${Math.floor(seconds / 86_400)}d`;
}

export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1).replace(/_/g, ' ');
}
