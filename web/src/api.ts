// The HTTP client of control-api's `/api/v1`: one request function, one error type.

export const API_BASE = '/api/v1';

/** A failed request: the server's `{detail, status_code, reason}` or a network failure (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly detail: string;
  readonly reason: string | undefined;

  constructor(status: number, detail: string, reason?: string) {
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.detail = detail;
    this.reason = reason;
  }
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as multipart/form-data. */
  form?: FormData;
  /** A bearer token. */
  token?: string | null;
  signal?: AbortSignal;
}

/** Calls `path` (relative to [`API_BASE`]) and returns the parsed JSON body. */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  let body: BodyInit | undefined;
  if (options.form) {
    body = options.form;
  } else if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  if (options.token) headers['Authorization'] = `Bearer ${options.token}`;
  let response: Response;
  try {
    response = await fetch(`${API_BASE}${path}`, {
      method: options.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      body: body ?? null,
      credentials: 'same-origin',
      signal: options.signal ?? null,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'Could not reach the server. Check your connection and try again.');
  }
  const text = await response.text();
  const parsed = parseJson(text);
  if (!response.ok) {
    throw errorOf(response.status, parsed);
  }
  return parsed as T;
}

function parseJson(text: string): unknown {
  if (text.length === 0) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function errorOf(status: number, body: unknown): ApiError {
  if (typeof body === 'object' && body !== null) {
    const record = body as Record<string, unknown>;
    const detail = typeof record['detail'] === 'string' ? record['detail'] : statusText(status);
    const reason = typeof record['reason'] === 'string' ? record['reason'] : undefined;
    return new ApiError(status, detail, reason);
  }
  return new ApiError(status, statusText(status));
}

function statusText(status: number): string {
  if (status === 429) return 'Too many requests. Wait a moment and try again.';
  if (status >= 500) return 'The server had a problem. Try again in a moment.';
  return `The request failed (${status}).`;
}

/** The message to show for any thrown value. */
export function messageOf(err: unknown): string {
  if (err instanceof ApiError) return err.detail;
  if (err instanceof Error) return err.message;
  return 'Something went wrong.';
}
