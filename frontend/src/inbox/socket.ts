// The inbox's live connection to ws/inbox/ (conversations/consumers.py).
//
// The server numbers a workspace's events without gaps and keeps them, so
// this side only has to remember the last id it handled: every (re)connect
// resumes from it and the server replays what was missed, in order. Typing
// and presence are not stored; they are only as good as the connection.
import type { Message, Note } from './api';

export interface InboxEvent {
  type: 'event';
  id: number;
  kind:
    | 'message.created'
    | 'message.status'
    | 'conversation.updated'
    | 'handoff.requested'
    | 'note.created';
  conversation: number | null;
  payload: Record<string, unknown>;
  at: string;
}

export interface UserRef {
  id: number;
  username: string;
}

export type Frame =
  | InboxEvent
  | { type: 'reset'; last_id: number }
  | { type: 'typing'; conversation: number; user: UserRef }
  | {
      type: 'presence';
      conversation: number;
      state: 'joined' | 'left' | 'here';
      user: UserRef;
    }
  | { type: 'agent_presence'; user: UserRef; online: boolean }
  | { type: 'error'; code: string; detail: string }
  | { type: 'pong' };

export type Status = 'connecting' | 'live' | 'offline';

export interface SocketOptions {
  url: string;
  // The last event the page has accounted for; replay starts after it.
  after: number;
  onFrame: (frame: Frame) => void;
  onStatus: (status: Status) => void;
  createSocket?: (url: string) => WebSocket;
}

export const PING_MS = 30_000;
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 15_000;
// WebSocket.OPEN, spelled out so a stand-in socket in tests needs no global.
const OPEN = 1;

// Narrowing helpers for event payloads, which the server documents in
// conversations/events.py.
export function messageOf(event: InboxEvent): Message {
  return event.payload.message as Message;
}

export function noteOf(event: InboxEvent): Note {
  return event.payload.note as Note;
}

export class InboxSocket {
  private readonly options: SocketOptions;
  private socket: WebSocket | null = null;
  private lastId: number;
  private readonly joined = new Set<number>();
  private retryMs = FIRST_RETRY_MS;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private stopped = false;

  constructor(options: SocketOptions) {
    this.options = options;
    this.lastId = options.after;
  }

  get lastEventId(): number {
    return this.lastId;
  }

  start(): void {
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    this.socket?.close();
    this.socket = null;
  }

  join(conversation: number): void {
    this.joined.add(conversation);
    this.send({ type: 'join', conversation });
  }

  leave(conversation: number): void {
    if (this.joined.delete(conversation)) {
      this.send({ type: 'leave', conversation });
    }
  }

  typing(conversation: number): void {
    if (this.joined.has(conversation)) {
      this.send({ type: 'typing', conversation });
    }
  }

  private open(): void {
    this.options.onStatus('connecting');
    const create = this.options.createSocket ?? ((url: string) => new WebSocket(url));
    const socket = create(this.options.url);
    this.socket = socket;

    socket.onopen = () => {
      this.retryMs = FIRST_RETRY_MS;
      this.send({ type: 'resume', after: this.lastId });
      for (const conversation of this.joined) {
        this.send({ type: 'join', conversation });
      }
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this.send({ type: 'ping' }), PING_MS);
      this.options.onStatus('live');
    };
    socket.onmessage = (message: MessageEvent) => {
      let frame: Frame;
      try {
        frame = JSON.parse(String(message.data)) as Frame;
      } catch {
        console.warn('inbox frame is not JSON', message.data);
        return;
      }
      this.handle(frame);
    };
    socket.onclose = () => {
      clearInterval(this.pingTimer);
      if (this.socket !== socket || this.stopped) {
        return;
      }
      this.socket = null;
      this.options.onStatus('offline');
      this.retryTimer = setTimeout(() => this.open(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    };
  }

  private handle(frame: Frame): void {
    if (frame.type === 'event') {
      // The server sends each event once per connection, in order; one
      // already handled (seen before a reconnect) is skipped.
      if (frame.id <= this.lastId) {
        return;
      }
      this.lastId = frame.id;
    } else if (frame.type === 'reset') {
      this.lastId = frame.last_id;
    } else if (frame.type === 'error') {
      console.warn(`inbox socket: ${frame.code}: ${frame.detail}`);
    }
    this.options.onFrame(frame);
  }

  private send(frame: Record<string, unknown>): void {
    if (this.socket !== null && this.socket.readyState === OPEN) {
      this.socket.send(JSON.stringify(frame));
    }
  }
}

export function inboxUrl(location: Location = window.location): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/ws/inbox/`;
}
