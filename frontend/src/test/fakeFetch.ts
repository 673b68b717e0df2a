import { vi } from 'vitest';

export interface FakeRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

type Handler = (request: FakeRequest) => Response | Promise<Response>;

export function jsonResponse(status: number, payload: unknown): Response {
  return new Response(JSON.stringify(payload), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}

/**
 * Replace fetch with a table of `"METHOD /path/"` handlers.
 *
 * A request no handler expects answers 599 with a detail naming it, so a
 * test fails on the page's error text instead of hanging.
 */
export function fakeFetch(routes: Record<string, Handler>) {
  const requests: FakeRequest[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const request: FakeRequest = {
      method: init.method ?? 'GET',
      url: String(input),
      headers: { ...(init.headers as Record<string, string> | undefined) },
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
    };
    requests.push(request);

    const handler = routes[`${request.method} ${request.url}`];
    if (handler === undefined) {
      return jsonResponse(599, {
        code: 'unexpected',
        detail: `No fake for ${request.method} ${request.url}`,
      });
    }
    return handler(request);
  });
  vi.stubGlobal('fetch', fetchMock);

  return { fetchMock, requests };
}
