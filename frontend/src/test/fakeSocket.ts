import type { Frame } from '../inbox/socket';

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;

/**
 * A stand-in for the browser's WebSocket, driven by the test: it plays the
 * server (`open`, `receive`, `drop`) and records what the page sends.
 */
export class FakeSocket {
  readonly url: string;
  readyState = CONNECTING;
  readonly sent: Record<string, unknown>[] = [];
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;

  constructor(url: string) {
    this.url = url;
  }

  send(data: string): void {
    if (this.readyState !== OPEN) {
      throw new Error('send() on a socket that is not open');
    }
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  close(): void {
    this.drop();
  }

  open(): void {
    this.readyState = OPEN;
    this.onopen?.(new Event('open'));
  }

  receive(frame: Frame | Record<string, unknown>): void {
    this.onmessage?.(new MessageEvent('message', { data: JSON.stringify(frame) }));
  }

  /** Lose the connection, as a server restart or a network drop does. */
  drop(): void {
    if (this.readyState === CLOSED) {
      return;
    }
    this.readyState = CLOSED;
    this.onclose?.(new CloseEvent('close', { code: 1006 }));
  }

  sentOfType(type: string): Record<string, unknown>[] {
    return this.sent.filter((frame) => frame.type === type);
  }
}

/** A `createSocket` for the inbox that keeps every socket it made, newest last. */
export function fakeSockets() {
  const made: FakeSocket[] = [];
  return {
    made,
    createSocket: (url: string): WebSocket => {
      const socket = new FakeSocket(url);
      made.push(socket);
      return socket as unknown as WebSocket;
    },
    latest(): FakeSocket {
      const socket = made[made.length - 1];
      if (socket === undefined) {
        throw new Error('no socket was opened');
      }
      return socket;
    },
  };
}
