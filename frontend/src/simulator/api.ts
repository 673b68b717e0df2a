// Every server call of the SMS simulator. The views live in the conversations
// app under /simulator/api/.
import { getJson, postJson } from '../api/http';

const API_ROOT = '/simulator/api';

export type Direction = 'inbound' | 'outbound';
export type Author = 'contact' | 'agent' | 'user' | 'system' | 'workflow';

export interface ThreadSummary {
  contact_id: number;
  name: string;
  phone: string;
  sender: string;
  last_message_at: string | null;
  unread: number;
}

// Media entries are URLs, or objects carrying one.
export type MediaItem = string | { url: string; content_type?: string };

export interface Message {
  id: number;
  // From the business's point of view: "outbound" reached this handset,
  // "inbound" was sent from it.
  direction: Direction;
  body: string;
  media: MediaItem[];
  status: string;
  created_at: string;
  author: Author;
}

export interface Thread {
  contact_id: number;
  name: string;
  phone: string;
  sender: string;
  opted_out: boolean;
  messages: Message[];
}

export interface NewContact {
  phone: string;
  firstName: string;
}

export async function listThreads(signal?: AbortSignal): Promise<ThreadSummary[]> {
  const payload = await getJson<{ threads: ThreadSummary[] }>(`${API_ROOT}/threads/`, signal);
  return payload.threads;
}

export function getThread(contactId: number, signal?: AbortSignal): Promise<Thread> {
  return getJson<Thread>(`${API_ROOT}/threads/${contactId}/`, signal);
}

/** Send `body` from the handset to the business; resolves with the carrier SID. */
export async function sendMessage(contactId: number, body: string): Promise<string> {
  const payload = await postJson<{ message_sid: string }>(
    `${API_ROOT}/threads/${contactId}/messages/`,
    { body },
  );
  return payload.message_sid;
}

/** Call the business from the handset and hang up before anyone answers. */
export async function placeMissedCall(contactId: number): Promise<string> {
  const payload = await postJson<{ call_sid: string }>(
    `${API_ROOT}/threads/${contactId}/calls/`,
    {},
  );
  return payload.call_sid;
}

export function createContact(contact: NewContact): Promise<Thread> {
  return postJson<Thread>(`${API_ROOT}/contacts/`, {
    phone: contact.phone,
    first_name: contact.firstName,
  });
}
