// Every server call of the inbox page: the REST API under /api/inbox/
// (conversations/views.py). Live changes arrive over ws/inbox/ (socket.ts).
import { getJson, postJson } from '../api/http';

const ROOT = '/api/inbox';

export const VIEWS = ['needs_human', 'mine', 'unassigned', 'open', 'snoozed', 'resolved'] as const;
export type View = (typeof VIEWS)[number];

export type ConversationState = 'ai_active' | 'human_active' | 'waiting' | 'closed';
export type Direction = 'inbound' | 'outbound';
export type Author = 'contact' | 'agent' | 'user' | 'system' | 'workflow';

export interface Person {
  id: number;
  username: string;
  name: string;
}

export interface TeamRef {
  id: number;
  name: string;
}

export interface ContactBrief {
  id: number;
  name: string;
  phone: string;
}

export interface LastMessage {
  body: string;
  direction: Direction;
  author: Author;
  // The person who wrote it, for a text sent from the inbox.
  author_user_id: number | null;
  at: string;
}

export interface InboxRow {
  id: number;
  contact: ContactBrief;
  state: ConversationState;
  assignee: Person | null;
  team?: TeamRef | null;
  needs_attention: boolean;
  last_message: LastMessage | null;
  waiting_since: string | null;
  unread_count: number;
  snoozed_until: string | null;
}

export interface RowPage {
  count: number;
  next: string | null;
  results: InboxRow[];
}

export interface Message {
  id: number;
  direction: Direction;
  author: Author;
  // The person who wrote it, for texts sent from the inbox. Events carry
  // only the id (`author_user_id`); the page names them from the members.
  author_user?: Person | null;
  author_user_id?: number | null;
  purpose: string;
  body: string;
  media: unknown[];
  status: string;
  block_reason: string;
  created_at: string;
}

export interface Note {
  id: number;
  author?: Person | null;
  author_user_id?: number | null;
  body: string;
  created_at: string;
}

export interface StepActivity {
  node_id: string;
  kind: string;
  status: string;
  port: string;
  workflow: string;
  run_id: number;
}

export interface Activity {
  type: 'change' | 'handoff' | 'step';
  change: string | null;
  assignee: Person | null;
  snoozed_until: string | null;
  reason: string | null;
  step: StepActivity | null;
}

export type ThreadItem =
  | { kind: 'message'; at: string; message: Message }
  | { kind: 'note'; at: string; note: Note }
  | { kind: 'activity'; at: string; activity: Activity };

export interface StepPath {
  id: number;
  node_id: string;
  kind: string;
  status: string;
  port: string;
  started_at: string | null;
}

export interface ConversationPanel {
  id: number;
  state: ConversationState;
  assignee: Person | null;
  team?: TeamRef | null;
  needs_attention: boolean;
  snoozed_until: string | null;
  last_message_at: string | null;
  created_at: string;
  closed_at: string | null;
  contact: {
    id: number;
    name: string;
    first_name: string;
    last_name: string;
    phone: string;
    email: string;
    time_zone: string;
    custom_fields: Record<string, unknown>;
    tags: string[];
  };
  handoff: {
    id: number;
    reason: string;
    queue: string;
    outcomes: string[];
    created_at: string;
  } | null;
  run: {
    id: number;
    workflow: string;
    status: string;
    result: string;
    current_step: StepPath | null;
    path: StepPath[];
  } | null;
  agent: {
    step_id: number;
    status: string;
    summary: string;
    outcome: string;
    outcome_fields: Record<string, unknown>;
  } | null;
  thread: ThreadItem[];
}

export interface Member extends Person {
  role: string;
  online: boolean;
}

export interface Team extends TeamRef {
  members: number[];
}

export interface People {
  me: number | null;
  round_robin: boolean;
  members: Member[];
  teams: Team[];
}

const conversation = (id: number) => `${ROOT}/conversations/${id}`;

export function listConversations(
  view: View,
  q: string,
  signal?: AbortSignal,
  page: number = 1,
): Promise<RowPage> {
  const params = new URLSearchParams({ view });
  if (q.trim() !== '') {
    params.set('q', q.trim());
  }
  if (page > 1) {
    params.set('page', String(page));
  }
  return getJson(`${ROOT}/conversations/?${params}`, signal);
}

export function getConversation(id: number, signal?: AbortSignal): Promise<ConversationPanel> {
  return getJson(`${conversation(id)}/`, signal);
}

export function getPeople(signal?: AbortSignal): Promise<People> {
  return getJson(`${ROOT}/people/`, signal);
}

export function takeOver(id: number): Promise<InboxRow> {
  return postJson(`${conversation(id)}/take-over/`, {});
}

export function reply(id: number, body: string): Promise<Message> {
  return postJson(`${conversation(id)}/reply/`, { body });
}

export function addNote(id: number, body: string): Promise<Note> {
  return postJson(`${conversation(id)}/note/`, { body });
}

/** Assign to a person (or nobody, with null) and, when given, to a team. */
export function assign(
  id: number,
  to: { user?: number | null; team?: number | null },
): Promise<InboxRow> {
  return postJson(`${conversation(id)}/assign/`, to);
}

export function handBack(id: number): Promise<InboxRow> {
  return postJson(`${conversation(id)}/hand-back/`, {});
}

export function resolve(id: number, outcome: string): Promise<InboxRow> {
  return postJson(`${conversation(id)}/resolve/`, { outcome });
}

export function snooze(id: number, until: Date): Promise<InboxRow> {
  return postJson(`${conversation(id)}/snooze/`, { until: until.toISOString() });
}

export function markRead(id: number, message: number): Promise<{ last_read_message_id: number }> {
  return postJson(`${conversation(id)}/read/`, { message });
}
