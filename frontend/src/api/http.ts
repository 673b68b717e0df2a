// JSON over fetch for every page: same-origin session cookie, Django's CSRF
// token on unsafe methods, and one error type whose `detail` can be shown to
// the person using the page as it is.

export type FieldErrors = Record<string, string>;

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly fields: FieldErrors;

  constructor(status: number, code: string, detail: string, fields: FieldErrors = {}) {
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.fields = fields;
  }
}

const CSRF_COOKIE = 'csrftoken';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function readCookie(name: string, cookies: string = document.cookie): string | null {
  for (const pair of cookies.split(';')) {
    const [key, ...rest] = pair.trim().split('=');
    if (key === name) {
      return decodeURIComponent(rest.join('='));
    }
  }
  return null;
}

export function isAbortError(error: unknown): boolean {
  // Checked by name: the DOMException class differs between realms.
  return isRecord(error) && error.name === 'AbortError';
}

export function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  return request<T>('GET', url, undefined, signal);
}

export function postJson<T>(url: string, body: unknown, signal?: AbortSignal): Promise<T> {
  return request<T>('POST', url, body, signal);
}

/**
 * Send one request and return the parsed JSON body.
 *
 * Throws ApiError for any failure a person should read about (network down,
 * 4xx/5xx, expired session, a body that is not JSON); an aborted request
 * rejects with the browser's AbortError, which callers ignore.
 */
export async function request<T>(
  method: string,
  url: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
  }
  if (!SAFE_METHODS.has(method)) {
    const token = readCookie(CSRF_COOKIE);
    if (token !== null) {
      headers['X-CSRFToken'] = token;
    }
  }

  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal,
    });
  } catch (error) {
    if (isAbortError(error)) {
      throw error;
    }
    throw new ApiError(
      0,
      'network_error',
      'Could not reach the server. Check that it is still running, then try again.',
    );
  }

  if (!response.ok) {
    throw await errorFrom(response);
  }
  if (response.status === 204) {
    return undefined as T;
  }

  return (await parseJson(response)) as T;
}

async function parseJson(response: Response): Promise<unknown> {
  // An expired session makes Django redirect to the HTML sign-in page, which
  // fetch follows silently and answers 200.
  if (!isJson(response)) {
    if (response.redirected) {
      throw new ApiError(
        response.status,
        'session_expired',
        'Your session has ended. Sign in again, then reload this page.',
      );
    }
    throw invalidResponse(response);
  }
  try {
    return await response.json();
  } catch {
    throw invalidResponse(response);
  }
}

async function errorFrom(response: Response): Promise<ApiError> {
  const payload = isJson(response) ? await response.json().catch(() => null) : null;
  if (isRecord(payload) && typeof payload.detail === 'string' && payload.detail !== '') {
    const code = typeof payload.code === 'string' ? payload.code : 'error';
    return new ApiError(response.status, code, payload.detail, fieldErrors(payload.fields));
  }

  // Django's own 403 page (CSRF failure, signed out) is HTML, not our JSON.
  if (response.status === 403) {
    return new ApiError(
      403,
      'forbidden',
      'The server refused this request. Your session may have ended: reload the page and sign in again.',
    );
  }
  return new ApiError(
    response.status,
    'http_error',
    `The server answered HTTP ${response.status} without an explanation. Try again; if it keeps happening, check the server log.`,
  );
}

function invalidResponse(response: Response): ApiError {
  return new ApiError(
    response.status,
    'invalid_response',
    'The server sent a reply this page cannot read. Reload the page; if it keeps happening, check the server log.',
  );
}

// Field errors may come as DRF lists (`{"phone": ["..."]}`) or plain strings.
function fieldErrors(raw: unknown): FieldErrors {
  if (!isRecord(raw)) {
    return {};
  }
  const fields: FieldErrors = {};
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value === 'string') {
      fields[name] = value;
    } else if (Array.isArray(value)) {
      fields[name] = value.filter((item) => typeof item === 'string').join(' ');
    }
  }

  return fields;
}

function isJson(response: Response): boolean {
  return (response.headers.get('Content-Type') ?? '').includes('json');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Return text a person can read for any error a request or handler threw. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    return error.detail;
  }
  console.error(error);
  return 'This page hit an unexpected error. Reload it and try again; if it keeps happening, check the browser console.';
}
