import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { fakeFetch, jsonResponse } from '../test/fakeFetch';
import type { Thread, ThreadSummary } from './api';
import { SimulatorPage } from './SimulatorPage';

const SENDER = '+15005550006';

const summaries: ThreadSummary[] = [
  {
    contact_id: 1,
    name: 'Maya Lopez',
    phone: '+12125550101',
    sender: SENDER,
    last_message_at: '2026-12-03T18:00:00Z',
    unread: 0,
  },
  {
    contact_id: 2,
    name: 'Sam Okafor',
    phone: '+12125550102',
    sender: SENDER,
    last_message_at: null,
    unread: 2,
  },
];

const maya: Thread = {
  contact_id: 1,
  name: 'Maya Lopez',
  phone: '+12125550101',
  sender: SENDER,
  opted_out: false,
  messages: [
    {
      id: 10,
      direction: 'outbound',
      body: 'Hi Maya, are you still looking for a quote?',
      media: [],
      status: 'delivered',
      created_at: '2026-12-03T17:59:00Z',
      author: 'agent',
    },
    {
      id: 11,
      direction: 'inbound',
      body: '<b>Yes</b> please',
      media: [],
      status: 'received',
      created_at: '2026-12-03T18:00:00Z',
      author: 'contact',
    },
  ],
};

const sam: Thread = { ...summaries[1]!, opted_out: true, messages: [] };

function threadRoutes(threads: Thread[] = [maya, sam]) {
  return {
    'GET /simulator/api/threads/': () => jsonResponse(200, { threads: summaries }),
    ...Object.fromEntries(
      threads.map((thread) => [
        `GET /simulator/api/threads/${thread.contact_id}/`,
        () => jsonResponse(200, thread),
      ]),
    ),
  };
}

describe('SimulatorPage', () => {
  beforeEach(() => {
    document.cookie = 'csrftoken=token-from-cookie';
    window.history.replaceState(null, '', '/simulator/');
  });

  afterEach(() => {
    document.cookie = 'csrftoken=; expires=Thu, 01 Jan 1970 00:00:00 GMT';
  });

  it("renders the workspace's threads and opens the first one", async () => {
    fakeFetch(threadRoutes());

    render(<SimulatorPage />);

    const list = await screen.findByTestId('thread-list');
    expect(within(list).getByTestId('thread-1')).toHaveTextContent('Maya Lopez');
    expect(within(list).getByTestId('thread-2')).toHaveTextContent('Sam Okafor');
    expect(within(list).getByLabelText('2 unread')).toHaveTextContent('2');
    expect(await screen.findByTestId('message-10')).toHaveTextContent(
      'Hi Maya, are you still looking for a quote?',
    );
    expect(screen.getByTestId('handset')).toHaveTextContent(SENDER);
  });

  it('shows message bodies as text, never as markup', async () => {
    fakeFetch(threadRoutes());

    render(<SimulatorPage />);

    const bubble = await screen.findByTestId('message-11');
    expect(bubble).toHaveTextContent('<b>Yes</b> please');
    expect(bubble.querySelector('b')).toBeNull();
  });

  it('shows the delivery status under texts sent from the handset only', async () => {
    fakeFetch(threadRoutes());

    render(<SimulatorPage />);

    expect(await screen.findByTestId('message-11')).toHaveTextContent('Received');
    expect(screen.getByTestId('message-10')).toHaveTextContent('Agent');
    expect(screen.getByTestId('message-10')).not.toHaveTextContent('Delivered');
  });

  it('opens the thread the user picks and says when the number opted out', async () => {
    const user = userEvent.setup();
    fakeFetch(threadRoutes());
    render(<SimulatorPage />);

    await user.click(await screen.findByTestId('thread-2'));

    expect(await screen.findByText(/This number has opted out/)).toBeInTheDocument();
    expect(screen.getByTestId('handset')).toHaveTextContent('No messages yet.');
    expect(screen.getByTestId('thread-2')).toHaveAttribute('aria-current', 'true');
    expect(window.location.search).toBe('?contact=2');
  });

  it('sends on Enter with the CSRF token and clears the input', async () => {
    const user = userEvent.setup();
    const { requests } = fakeFetch({
      ...threadRoutes(),
      'POST /simulator/api/threads/1/messages/': () =>
        jsonResponse(201, { message_sid: 'SM0123456789abcdef0123456789abcdef' }),
    });
    render(<SimulatorPage />);
    await screen.findByTestId('message-10');

    await user.type(screen.getByTestId('compose-input'), 'Tomorrow works{Enter}');

    const post = requests.find((request) => request.method === 'POST');
    expect(post?.url).toBe('/simulator/api/threads/1/messages/');
    expect(post?.body).toEqual({ body: 'Tomorrow works' });
    expect(post?.headers['X-CSRFToken']).toBe('token-from-cookie');
    expect(screen.getByTestId('compose-input')).toHaveValue('');
  });

  it('places a missed call from the handset', async () => {
    const user = userEvent.setup();
    const { requests } = fakeFetch({
      ...threadRoutes(),
      'POST /simulator/api/threads/1/calls/': () =>
        jsonResponse(201, { call_sid: 'CA0123456789abcdef0123456789abcdef' }),
    });
    render(<SimulatorPage />);
    await screen.findByTestId('message-10');

    await user.click(screen.getByTestId('missed-call'));

    const post = requests.find((request) => request.method === 'POST');
    expect(post?.url).toBe('/simulator/api/threads/1/calls/');
    expect(post?.headers['X-CSRFToken']).toBe('token-from-cookie');
    expect(screen.getByTestId('missed-call')).toBeEnabled();
    expect(screen.queryByTestId('call-error')).toBeNull();
  });

  it("shows the server's error detail when a text is refused", async () => {
    const user = userEvent.setup();
    const detail = 'The local carrier is not running. Start it with make demo, then send again.';
    fakeFetch({
      ...threadRoutes(),
      'POST /simulator/api/threads/1/messages/': () =>
        jsonResponse(503, { code: 'carrier_unavailable', detail }),
    });
    render(<SimulatorPage />);
    await screen.findByTestId('message-10');

    await user.type(screen.getByTestId('compose-input'), 'Hello?{Enter}');

    expect(await screen.findByTestId('compose-error')).toHaveTextContent(detail);
    expect(screen.getByTestId('compose-input')).toHaveValue('Hello?');
  });

  it('starts texting from a new number and opens its thread', async () => {
    const user = userEvent.setup();
    const lee: Thread = {
      contact_id: 3,
      name: 'Lee',
      phone: '+12125550103',
      sender: SENDER,
      opted_out: false,
      messages: [],
    };
    const { requests } = fakeFetch({
      ...threadRoutes([maya, sam, lee]),
      'POST /simulator/api/contacts/': () => jsonResponse(201, lee),
    });
    render(<SimulatorPage />);
    await screen.findByTestId('message-10');

    await user.type(screen.getByTestId('new-contact-phone'), '+12125550103');
    await user.type(screen.getByTestId('new-contact-name'), 'Lee');
    await user.click(screen.getByTestId('new-contact-submit'));

    expect(requests.find((request) => request.method === 'POST')?.body).toEqual({
      phone: '+12125550103',
      first_name: 'Lee',
    });
    expect(await screen.findByText('This phone: Lee, +12125550103')).toBeInTheDocument();
    expect(screen.getByTestId('new-contact-phone')).toHaveValue('');
  });

  it("shows the server's reasons when a new number is refused", async () => {
    const user = userEvent.setup();
    fakeFetch({
      ...threadRoutes(),
      'POST /simulator/api/contacts/': () =>
        jsonResponse(400, {
          code: 'invalid',
          detail: 'Check the highlighted fields.',
          fields: { phone: ['Enter the number in E.164 form, such as +12125550123.'] },
        }),
    });
    render(<SimulatorPage />);

    await user.type(await screen.findByTestId('new-contact-phone'), '555');
    await user.click(screen.getByTestId('new-contact-submit'));

    expect(await screen.findByTestId('new-contact-error')).toHaveTextContent(
      'Check the highlighted fields.',
    );
    expect(screen.getByText(/E\.164 form/)).toBeInTheDocument();
    expect(screen.getByTestId('new-contact-phone')).toHaveAttribute('aria-invalid', 'true');
  });

  it('says so when the thread list cannot be loaded', async () => {
    fakeFetch({
      'GET /simulator/api/threads/': () =>
        new Response('<h1>Server Error (500)</h1>', {
          status: 500,
          headers: { 'Content-Type': 'text/html' },
        }),
    });

    render(<SimulatorPage />);

    expect(await screen.findByRole('alert')).toHaveTextContent('The server answered HTTP 500');
  });
});
