import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { fakeSockets } from '../test/fakeSocket';
import { InboxSocket, PING_MS } from './socket';
import type { Frame, InboxEvent, Status } from './socket';

const URL = 'ws://inbox.test/ws/inbox/';

function event(id: number, conversation: number = 7): InboxEvent {
  return {
    type: 'event',
    id,
    kind: 'message.created',
    conversation,
    payload: {},
    at: '2026-12-03T18:00:00Z',
  };
}

function connect(after: number = 40) {
  const sockets = fakeSockets();
  const frames: Frame[] = [];
  const statuses: Status[] = [];
  const connection = new InboxSocket({
    url: URL,
    after,
    onFrame: (frame) => frames.push(frame),
    onStatus: (status) => statuses.push(status),
    createSocket: sockets.createSocket,
  });
  connection.start();
  return { connection, sockets, frames, statuses };
}

describe('InboxSocket', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('asks to resume after the event the page started from when it first opens', () => {
    const { sockets } = connect(40);

    sockets.latest().open();

    expect(sockets.latest().url).toBe(URL);
    expect(sockets.latest().sent).toEqual([{ type: 'resume', after: 40 }]);
  });

  it('passes new events on and drops those at or below the last id handled', () => {
    const { connection, sockets, frames } = connect(40);
    sockets.latest().open();

    [event(39), event(40), event(41), event(41), event(43), event(42)].forEach((frame) =>
      sockets.latest().receive(frame),
    );

    expect(frames.map((frame) => (frame.type === 'event' ? frame.id : null))).toEqual([41, 43]);
    expect(connection.lastEventId).toBe(43);
  });

  it('passes on frames that are not events without changing the last id', () => {
    const { connection, sockets, frames } = connect(40);
    sockets.latest().open();
    const typing: Frame = { type: 'typing', conversation: 7, user: { id: 2, username: 'sam' } };

    sockets.latest().receive(typing);

    expect(frames).toEqual([typing]);
    expect(connection.lastEventId).toBe(40);
  });

  it('skips a frame that is not JSON and keeps the connection', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { sockets, frames } = connect(40);
    sockets.latest().open();

    sockets.latest().onmessage?.(new MessageEvent('message', { data: 'not json' }));
    sockets.latest().receive(event(41));

    expect(warn).toHaveBeenCalledWith('inbox frame is not JSON', 'not json');
    expect(frames).toHaveLength(1);
    expect(sockets.made).toHaveLength(1);
  });

  it('reconnects after 1 s, then waits twice as long each time, up to 15 s', () => {
    const { sockets } = connect();
    const waits: number[] = [];

    for (let attempt = 0; attempt < 6; attempt++) {
      const count = sockets.made.length;
      sockets.latest().drop();
      let waited = 0;
      while (sockets.made.length === count) {
        vi.advanceTimersByTime(500);
        waited += 500;
      }
      waits.push(waited);
    }

    expect(waits).toEqual([1000, 2000, 4000, 8000, 15_000, 15_000]);
  });

  it('waits 1 s again once a connection has opened', () => {
    const { sockets } = connect();
    sockets.latest().drop();
    vi.advanceTimersByTime(1000);
    sockets.latest().drop();
    vi.advanceTimersByTime(2000);
    sockets.latest().open();

    sockets.latest().drop();
    vi.advanceTimersByTime(1000);

    expect(sockets.made).toHaveLength(4);
  });

  it('resumes after the last event it handled and joins its conversations again', () => {
    const { connection, sockets } = connect(40);
    sockets.latest().open();
    connection.join(7);
    connection.join(9);
    connection.leave(9);
    sockets.latest().receive(event(41));
    sockets.latest().receive(event(42));

    sockets.latest().drop();
    vi.advanceTimersByTime(1000);
    sockets.latest().open();

    expect(sockets.made).toHaveLength(2);
    expect(sockets.latest().sent).toEqual([
      { type: 'resume', after: 42 },
      { type: 'join', conversation: 7 },
    ]);
  });

  it('joins a conversation picked while offline as soon as it connects', () => {
    const { connection, sockets } = connect(40);

    connection.join(7);
    sockets.latest().open();

    expect(sockets.latest().sent).toEqual([
      { type: 'resume', after: 40 },
      { type: 'join', conversation: 7 },
    ]);
  });

  it('resumes after the id of a reset frame on the next connection', () => {
    const { connection, sockets, frames } = connect(40);
    sockets.latest().open();
    sockets.latest().receive(event(41));

    sockets.latest().receive({ type: 'reset', last_id: 12 });
    sockets.latest().receive(event(13));
    sockets.latest().drop();
    vi.advanceTimersByTime(1000);
    sockets.latest().open();

    expect(frames.map((frame) => frame.type)).toEqual(['event', 'reset', 'event']);
    expect(connection.lastEventId).toBe(13);
    expect(sockets.latest().sentOfType('resume')).toEqual([{ type: 'resume', after: 13 }]);
  });

  it('pings every 30 s while open, on the open connection only', () => {
    const { sockets } = connect();
    const first = sockets.latest();
    first.open();

    vi.advanceTimersByTime(PING_MS - 1);
    expect(first.sentOfType('ping')).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(first.sentOfType('ping')).toHaveLength(1);
    vi.advanceTimersByTime(2 * PING_MS);
    expect(first.sentOfType('ping')).toHaveLength(3);

    first.drop();
    vi.advanceTimersByTime(1000);
    sockets.latest().open();
    vi.advanceTimersByTime(PING_MS);
    expect(first.sentOfType('ping')).toHaveLength(3);
    expect(sockets.latest().sentOfType('ping')).toHaveLength(1);
  });

  it('does not reconnect once stopped while open', () => {
    const { connection, sockets, statuses } = connect();
    sockets.latest().open();

    connection.stop();
    vi.advanceTimersByTime(60_000);

    expect(sockets.made).toHaveLength(1);
    expect(sockets.latest().readyState).toBe(WebSocket.CLOSED);
    expect(statuses).toEqual(['connecting', 'live']);
  });

  it('does not reconnect once stopped while waiting to retry', () => {
    const { connection, sockets } = connect();
    sockets.latest().drop();

    connection.stop();
    vi.advanceTimersByTime(60_000);

    expect(sockets.made).toHaveLength(1);
  });

  it('reports connecting, then live, then offline, then connecting again', () => {
    const { sockets, statuses } = connect();

    sockets.latest().open();
    sockets.latest().drop();
    vi.advanceTimersByTime(1000);

    expect(statuses).toEqual(['connecting', 'live', 'offline', 'connecting']);
  });

  it('sends typing only for a conversation it has joined', () => {
    const { connection, sockets } = connect();
    sockets.latest().open();
    connection.join(7);

    connection.typing(7);
    connection.typing(9);

    expect(sockets.latest().sentOfType('typing')).toEqual([{ type: 'typing', conversation: 7 }]);
  });
});
