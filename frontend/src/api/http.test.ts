import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { fakeFetch, jsonResponse } from '../test/fakeFetch';
import { ApiError, getJson, postJson, readCookie } from './http';

describe('http', () => {
  beforeEach(() => {
    document.cookie = 'csrftoken=abc123';
  });

  afterEach(() => {
    document.cookie = 'csrftoken=; expires=Thu, 01 Jan 1970 00:00:00 GMT';
  });

  it('sends the CSRF cookie as X-CSRFToken on POST only', async () => {
    const { requests } = fakeFetch({
      'GET /x/': () => jsonResponse(200, { ok: true }),
      'POST /x/': () => jsonResponse(201, { ok: true }),
    });

    await getJson('/x/');
    await postJson('/x/', { body: 'hi' });

    expect(requests[0]?.headers['X-CSRFToken']).toBeUndefined();
    expect(requests[1]?.headers['X-CSRFToken']).toBe('abc123');
    expect(requests[1]?.headers['Content-Type']).toBe('application/json');
    expect(requests[1]?.body).toEqual({ body: 'hi' });
  });

  it("turns the server's code, detail and field list into an ApiError", async () => {
    fakeFetch({
      'POST /x/': () =>
        jsonResponse(400, {
          code: 'invalid_phone',
          detail: 'Enter a phone number.',
          fields: { phone: ['Too short.', 'Not a number.'], first_name: 'Too long.' },
        }),
    });

    const error = await postJson('/x/', {}).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 400,
      code: 'invalid_phone',
      detail: 'Enter a phone number.',
      fields: { phone: 'Too short. Not a number.', first_name: 'Too long.' },
    });
  });

  it("explains Django's HTML 403 page (CSRF or signed out)", async () => {
    fakeFetch({
      'POST /x/': () =>
        new Response('<h1>Forbidden</h1>', {
          status: 403,
          headers: { 'Content-Type': 'text/html' },
        }),
    });

    await expect(postJson('/x/', {})).rejects.toMatchObject({
      code: 'forbidden',
      detail: expect.stringContaining('sign in again'),
    });
  });

  it('says the server cannot be reached when the network fails', async () => {
    vi.stubGlobal('fetch', vi.fn().mockRejectedValue(new TypeError('Failed to fetch')));

    await expect(getJson('/x/')).rejects.toMatchObject({
      status: 0,
      code: 'network_error',
      detail: expect.stringContaining('Could not reach the server'),
    });
  });

  it('asks to sign in again when a redirect lands on an HTML page', async () => {
    fakeFetch({
      'GET /x/': () => {
        const response = new Response('<form>Sign in</form>', {
          status: 200,
          headers: { 'Content-Type': 'text/html' },
        });
        Object.defineProperty(response, 'redirected', { value: true });
        return response;
      },
    });

    await expect(getJson('/x/')).rejects.toMatchObject({ code: 'session_expired' });
  });

  it('passes an abort through untouched', async () => {
    const abort = new DOMException('The operation was aborted.', 'AbortError');
    vi.stubGlobal('fetch', vi.fn().mockRejectedValue(abort));

    await expect(getJson('/x/')).rejects.toBe(abort);
  });

  it('reads a cookie among others', () => {
    expect(readCookie('csrftoken', 'sessionid=s; csrftoken=a%3Db; theme=dark')).toBe('a=b');
    expect(readCookie('missing', 'a=1')).toBeNull();
  });
});
