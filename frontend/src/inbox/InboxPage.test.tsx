import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { StrictMode } from 'react';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import { fakeFetch, jsonResponse } from '../test/fakeFetch';
import type { FakeRequest } from '../test/fakeFetch';
import { fakeSockets } from '../test/fakeSocket';
import { SAM, makeMessage, makePanel, makeRow, messageItem } from '../test/inboxFactories';
import { Alerts } from './alerts';
import type { ConversationPanel, InboxRow, Message, People } from './api';
import { InboxPage } from './InboxPage';
import type { InboxEvent } from './socket';

const ME = { id: 1, username: 'ana', name: 'Ana Diaz' };
const LAST_EVENT = 40;

const people: People = {
  me: ME.id,
  round_robin: false,
  members: [
    { ...ME, role: 'agent', online: true },
    { ...SAM, role: 'agent', online: false },
  ],
  teams: [],
};

interface Server {
  rows: InboxRow[];
  panels: Record<number, ConversationPanel>;
  requests: FakeRequest[];
  // How the server answers a reply; by default it queues the text.
  answerReply: (body: string) => Response;
}

/** The inbox API over fakeFetch; tests change `rows` and `panels` as the server would. */
function startServer(
  rows: InboxRow[] = [
    makeRow({ id: 7 }),
    makeRow({
      id: 8,
      contact: { id: 32, name: 'Sam Okafor', phone: '+12125550102' },
      unread_count: 0,
    }),
  ],
  panels: ConversationPanel[] = [
    makePanel({ id: 7 }),
    makePanel({
      id: 8,
      contact: { ...makePanel().contact, id: 32, name: 'Sam Okafor', first_name: 'Sam' },
      thread: [messageItem(makeMessage({ id: 300, body: 'Is the quote ready?' }))],
    }),
  ],
): Server {
  const server: Server = {
    rows,
    panels: Object.fromEntries(panels.map((panel) => [panel.id, panel])),
    requests: [],
    answerReply: (body) =>
      jsonResponse(
        201,
        makeMessage({
          id: 110,
          direction: 'outbound',
          author: 'user',
          author_user: ME,
          body,
          status: 'queued',
          created_at: '2026-12-03T18:30:00Z',
        }),
      ),
  };
  const list = () =>
    jsonResponse(200, {
      count: server.rows.length,
      next: null,
      previous: null,
      results: server.rows,
    });
  const routes: Parameters<typeof fakeFetch>[0] = {
    'GET /api/inbox/people/': () => jsonResponse(200, people),
    'GET /api/inbox/conversations/?view=needs_human': list,
    'GET /api/inbox/conversations/?view=mine': list,
  };
  for (const panel of panels) {
    const url = `/api/inbox/conversations/${panel.id}`;
    const row = () => server.rows.find((candidate) => candidate.id === panel.id);
    routes[`GET ${url}/`] = () => jsonResponse(200, server.panels[panel.id]);
    routes[`POST ${url}/read/`] = (request) =>
      jsonResponse(200, { last_read_message_id: (request.body as { message: number }).message });
    routes[`POST ${url}/reply/`] = async (request) => {
      const response = server.answerReply((request.body as { body: string }).body);
      if (response.ok) {
        const message = (await response.clone().json()) as Message;
        const current = server.panels[panel.id]!;
        server.panels[panel.id] = { ...current, thread: [...current.thread, messageItem(message)] };
      }
      return response;
    };
    routes[`POST ${url}/take-over/`] = () => {
      server.panels[panel.id] = {
        ...server.panels[panel.id]!,
        state: 'human_active',
        assignee: ME,
      };
      return jsonResponse(200, { ...row(), state: 'human_active', assignee: ME });
    };
    routes[`POST ${url}/resolve/`] = () => {
      server.panels[panel.id] = { ...server.panels[panel.id]!, state: 'closed', handoff: null };
      return jsonResponse(200, { ...row(), state: 'closed', needs_attention: false });
    };
  }
  server.requests = fakeFetch(routes).requests;
  return server;
}

function requested(server: Server, method: string, url: string): FakeRequest[] {
  return server.requests.filter((request) => request.method === method && request.url === url);
}

function event(
  id: number,
  kind: InboxEvent['kind'],
  conversation: number | null,
  payload: Record<string, unknown>,
): InboxEvent {
  return { type: 'event', id, kind, conversation, payload, at: '2026-12-03T18:20:00+00:00' };
}

function renderInbox({ alerts }: { alerts?: Alerts } = {}) {
  const sockets = fakeSockets();
  render(
    <StrictMode>
      <InboxPage
        lastEvent={LAST_EVENT}
        userId={ME.id}
        createSocket={sockets.createSocket}
        alerts={alerts ?? new Alerts()}
      />
    </StrictMode>,
  );
  return sockets;
}

async function openConversation(id: number) {
  await userEvent.click(await screen.findByTestId(`conversation-${id}`));
  await screen.findByTestId('thread');
}

describe('InboxPage', () => {
  beforeEach(() => {
    window.history.replaceState(null, '', '/inbox/');
    window.localStorage.clear();
  });

  it('lists the conversations of the view named in the address', async () => {
    window.history.replaceState(null, '', '/inbox/?view=mine');
    const server = startServer([makeRow({ id: 7, assignee: ME })]);

    renderInbox();

    const list = await screen.findByTestId('conversation-list');
    expect(await within(list).findByTestId('conversation-7')).toHaveTextContent('Maya Lopez');
    expect(screen.getByRole('button', { name: 'Mine' })).toHaveAttribute('aria-pressed', 'true');
    expect(requested(server, 'GET', '/api/inbox/conversations/?view=mine')).not.toHaveLength(0);
    expect(requested(server, 'GET', '/api/inbox/conversations/?view=needs_human')).toHaveLength(0);
  });

  it('opens the thread of the conversation picked in the list', async () => {
    const server = startServer();
    renderInbox();

    await openConversation(7);

    expect(await screen.findByTestId('message-100')).toHaveTextContent(
      'Hi Maya, we missed your call. How can we help?',
    );
    expect(screen.getByTestId('message-101')).toHaveTextContent('Can someone call me?');
    expect(screen.getByTestId('conversation-7')).toHaveAttribute('aria-current', 'true');
    expect(requested(server, 'GET', '/api/inbox/conversations/7/')).not.toHaveLength(0);
    expect(window.location.search).toBe('?view=needs_human&conversation=7');
  });

  it('joins the open conversation on the socket once it is live', async () => {
    startServer();
    const sockets = renderInbox();
    await openConversation(7);

    act(() => sockets.latest().open());

    expect(sockets.latest().sent).toEqual([
      { type: 'resume', after: LAST_EVENT },
      { type: 'join', conversation: 7 },
    ]);
  });

  it('says the connection is live once the socket opens, and when it drops', async () => {
    startServer();
    const sockets = renderInbox();
    const connection = screen.getByTestId('connection');
    expect(connection).toHaveTextContent('Connecting…');

    act(() => sockets.latest().open());
    expect(connection).toHaveTextContent('Live');

    act(() => sockets.latest().drop());
    expect(connection).toHaveTextContent('Offline, reconnecting…');
  });

  it('shows a new text in the open thread as soon as its event arrives', async () => {
    const server = startServer();
    const sockets = renderInbox();
    act(() => sockets.latest().open());
    await openConversation(7);
    await screen.findByTestId('message-101');
    const loads = requested(server, 'GET', '/api/inbox/conversations/7/').length;
    // As conversations/events.py sends it: the sender by id, isoformat() times.
    const text = {
      ...makeMessage({ id: 102, body: 'Any time after 5 works.' }),
      author_user_id: null,
      created_at: '2026-12-03T18:20:00.250000+00:00',
    };
    delete text.author_user;

    act(() => sockets.latest().receive(event(41, 'message.created', 7, { message: text })));

    expect(screen.getByTestId('message-102')).toHaveTextContent('Any time after 5 works.');
    expect(requested(server, 'GET', '/api/inbox/conversations/7/')).toHaveLength(loads);
    expect(screen.getByTestId('conversation-7')).toHaveTextContent('Any time after 5 works.');
  });

  it('moves a conversation with a new text to the top of the list, unread', async () => {
    startServer();
    const sockets = renderInbox();
    act(() => sockets.latest().open());
    await screen.findByTestId('conversation-8');
    const text = {
      ...makeMessage({ id: 301, body: 'Hello?' }),
      author_user_id: null,
      created_at: '2026-12-03T18:20:00+00:00',
    };

    act(() => sockets.latest().receive(event(41, 'message.created', 8, { message: text })));

    const rows = within(screen.getByTestId('conversation-list')).getAllByRole('button');
    expect(rows.map((row) => row.dataset.testid)).toEqual(['conversation-8', 'conversation-7']);
    expect(rows[0]).toHaveTextContent('Hello?');
    expect(within(rows[0]!).getByLabelText('1 unread')).toBeInTheDocument();
  });

  it("moves a text's tick on when its status event arrives", async () => {
    startServer(undefined, [
      makePanel({
        id: 7,
        thread: [
          messageItem(
            makeMessage({
              id: 100,
              direction: 'outbound',
              author: 'user',
              author_user: ME,
              body: 'Calling you in five minutes.',
              status: 'sent',
            }),
          ),
        ],
      }),
    ]);
    const sockets = renderInbox();
    act(() => sockets.latest().open());
    await openConversation(7);
    expect(await screen.findByTestId('status-100')).toHaveTextContent('✓ Sent');

    act(() =>
      sockets.latest().receive(
        event(41, 'message.status', 7, {
          message_id: 100,
          status: 'delivered',
          block_reason: '',
          error_code: '',
        }),
      ),
    );

    expect(screen.getByTestId('status-100')).toHaveTextContent('✓✓ Delivered');
  });

  it('shows markup in a text as the characters the contact typed', async () => {
    const body = '<b>Soon</b> please';
    startServer(
      [
        makeRow({
          id: 7,
          last_message: {
            body,
            direction: 'inbound',
            author: 'contact',
            author_user_id: null,
            at: '2026-12-03T18:00:00Z',
          },
        }),
      ],
      [makePanel({ id: 7, thread: [messageItem(makeMessage({ id: 101, body }))] })],
    );
    renderInbox();

    await openConversation(7);

    const text = await screen.findByTestId('message-101');
    expect(text).toHaveTextContent(body);
    expect(screen.getByTestId('conversation-7')).toHaveTextContent(body);
    expect(document.querySelector('.inbox b')).toBeNull();
  });

  it('alerts about a handoff, naming the contact from the list', async () => {
    startServer();
    const alerts = new Alerts();
    await alerts.enable();
    const handoff = vi.spyOn(alerts, 'handoff').mockImplementation(() => {});
    const sockets = renderInbox({ alerts });
    act(() => sockets.latest().open());
    await screen.findByTestId('conversation-7');

    act(() =>
      sockets.latest().receive(
        event(41, 'handoff.requested', 7, {
          reason: 'Wants a callback',
          handoff_id: 12,
          run_id: 4,
          queue: 'default',
          outcomes: ['booked', 'not_interested'],
        }),
      ),
    );

    await waitFor(() => expect(handoff).toHaveBeenCalled());
    expect(handoff).toHaveBeenCalledWith(
      7,
      'Maya Lopez needs a person',
      'Wants a callback',
      expect.any(Function),
    );
  });

  it('asks for the conversation to name a contact the list does not show', async () => {
    const server = startServer([makeRow({ id: 7 })]);
    const alerts = new Alerts();
    await alerts.enable();
    const handoff = vi.spyOn(alerts, 'handoff').mockImplementation(() => {});
    const sockets = renderInbox({ alerts });
    act(() => sockets.latest().open());
    await screen.findByTestId('conversation-7');

    act(() => sockets.latest().receive(event(41, 'handoff.requested', 8, { reason: '' })));

    await waitFor(() => expect(handoff).toHaveBeenCalled());
    expect(handoff.mock.calls[0]!.slice(0, 2)).toEqual([8, 'Sam Okafor needs a person']);
    expect(requested(server, 'GET', '/api/inbox/conversations/8/')).toHaveLength(1);
  });

  it('does not alert while alerts are off', async () => {
    startServer();
    const alerts = new Alerts();
    const handoff = vi.spyOn(alerts, 'handoff');
    const sockets = renderInbox({ alerts });
    act(() => sockets.latest().open());
    await screen.findByTestId('conversation-7');

    await act(async () =>
      sockets.latest().receive(event(41, 'handoff.requested', 7, { reason: '' })),
    );

    expect(handoff).not.toHaveBeenCalled();
  });

  it('reloads the list and the open thread when the server resets the stream', async () => {
    const server = startServer();
    const sockets = renderInbox();
    act(() => sockets.latest().open());
    await openConversation(7);
    await screen.findByTestId('message-101');
    const listLoads = requested(server, 'GET', '/api/inbox/conversations/?view=needs_human').length;
    const threadLoads = requested(server, 'GET', '/api/inbox/conversations/7/').length;
    server.panels[7] = {
      ...server.panels[7]!,
      thread: [...server.panels[7]!.thread, messageItem(makeMessage({ id: 102, body: 'Hello?' }))],
    };

    act(() => sockets.latest().receive({ type: 'reset', last_id: 90 }));

    expect(await screen.findByTestId('message-102')).toHaveTextContent('Hello?');
    expect(requested(server, 'GET', '/api/inbox/conversations/?view=needs_human').length).toBe(
      listLoads + 1,
    );
    expect(requested(server, 'GET', '/api/inbox/conversations/7/').length).toBe(threadLoads + 1);
  });

  it('takes over the open conversation', async () => {
    const server = startServer();
    renderInbox();
    await openConversation(7);

    await userEvent.click(await screen.findByRole('button', { name: 'Take over' }));

    expect(requested(server, 'POST', '/api/inbox/conversations/7/take-over/')).toEqual([
      expect.objectContaining({ body: {} }),
    ]);
    expect(await screen.findByRole('button', { name: 'Hand back to AI' })).toBeInTheDocument();
    expect(screen.getByTestId('conversation-state')).toHaveTextContent('Person');
  });

  it("resolves with the handoff's outcome the person picks", async () => {
    const server = startServer(undefined, [
      makePanel({
        id: 7,
        state: 'human_active',
        assignee: ME,
        handoff: {
          id: 12,
          reason: 'Wants a callback',
          queue: 'default',
          outcomes: ['booked', 'not_interested'],
          created_at: '2026-12-03T18:00:00Z',
        },
      }),
    ]);
    renderInbox();
    await openConversation(7);

    await userEvent.click(await screen.findByRole('button', { name: 'Resolve' }));
    const form = screen.getByRole('form', { name: 'Resolve the conversation' });
    const submit = within(form).getByRole('button', { name: 'Resolve with this outcome' });
    expect(submit).toBeDisabled();
    await userEvent.click(within(form).getByRole('radio', { name: 'not_interested' }));
    await userEvent.click(submit);

    await waitFor(() =>
      expect(requested(server, 'POST', '/api/inbox/conversations/7/resolve/')).toEqual([
        expect.objectContaining({ body: { outcome: 'not_interested' } }),
      ]),
    );
    expect(await screen.findByTestId('conversation-state')).toHaveTextContent('Resolved');
  });

  it('sends a reply with Enter and shows it in the thread', async () => {
    const server = startServer();
    renderInbox();
    await openConversation(7);
    const box = await screen.findByRole('textbox', { name: 'Reply to the contact' });

    await userEvent.type(box, 'Calling you now.{Enter}');

    expect(await screen.findByTestId('message-110')).toHaveTextContent('Calling you now.');
    expect(screen.getByTestId('status-110')).toHaveTextContent('Sending');
    expect(box).toHaveValue('');
    expect(requested(server, 'POST', '/api/inbox/conversations/7/reply/')).toEqual([
      expect.objectContaining({ body: { body: 'Calling you now.' } }),
    ]);
  });

  it('says why a reply was blocked and clears the box, as the thread keeps the text', async () => {
    const server = startServer();
    server.answerReply = () =>
      jsonResponse(422, {
        code: 'reply_blocked',
        detail: 'Your reply was not sent: The contact has opted out of texts from this workspace.',
      });
    renderInbox();
    await openConversation(7);
    const box = await screen.findByRole('textbox', { name: 'Reply to the contact' });

    await userEvent.type(box, 'Calling you now.{Enter}');

    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Your reply was not sent: The contact has opted out of texts from this workspace.',
    );
    expect(box).toHaveValue('');
  });

  it('moves through the list with j and k', async () => {
    startServer();
    renderInbox();
    await screen.findByTestId('conversation-8');

    await userEvent.keyboard('j');
    expect(screen.getByTestId('conversation-7')).toHaveAttribute('aria-current', 'true');
    await userEvent.keyboard('j');
    expect(screen.getByTestId('conversation-8')).toHaveAttribute('aria-current', 'true');
    await userEvent.keyboard('k');

    expect(screen.getByTestId('conversation-7')).toHaveAttribute('aria-current', 'true');
    expect(screen.getByTestId('conversation-8')).not.toHaveAttribute('aria-current');
  });

  it('leaves j and k to the text while the person types a reply', async () => {
    startServer();
    renderInbox();
    await openConversation(7);
    const box = await screen.findByRole('textbox', { name: 'Reply to the contact' });

    await userEvent.click(box);
    await userEvent.keyboard('jk');

    expect(box).toHaveValue('jk');
    expect(screen.getByTestId('conversation-7')).toHaveAttribute('aria-current', 'true');
    expect(screen.getByTestId('conversation-8')).not.toHaveAttribute('aria-current');
  });
});
