/**
 * The REST API, as this tab's key or the person's session may call it. Errors arrive as RFC 9457
 * problems and are thrown as ApiError with the problem's own sentence, which the views show as it is.
 */
import { session } from './session.js';

export interface Problem {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly code?: string;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail || problem.title);
  }
  get status(): number {
    return this.problem.status;
  }
}

/** Called when the API says the key or the session is not (or no longer) valid. */
let onUnauthorized: () => void = () => undefined;
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

type Query = Record<string, string | number | boolean | undefined | null>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** Methods that change something: in a session they carry the anti-CSRF token. */
const CHANGES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * One request with the given key (default: the tab's key, or else the session cookie). Resolves to
 * the raw response when it is 2xx. `probe`: a 401 is the answer looked for, not a lost sign-in.
 */
export async function request(
  path: string,
  init: {
    method?: string;
    body?: unknown;
    key?: string;
    probe?: boolean;
    headers?: Record<string, string>;
  } = {},
): Promise<Response> {
  const method = init.method ?? 'GET';
  const key = init.key ?? session.key();
  const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
  if (key) headers.authorization = `Bearer ${key}`;
  const csrf = key ? null : session.csrfToken();
  if (csrf && CHANGES.has(method)) headers['x-csrf-token'] = csrf;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  // A retried click must not approve twice: every POST carries its own idempotency key.
  if (method === 'POST') headers['idempotency-key'] = crypto.randomUUID();
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      // The session cookie goes with requests without a key only (a key wins at the API anyway).
      credentials: key ? 'omit' : 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError({ status: 0, title: 'Network error', detail: 'The service did not answer.' });
  }
  if (response.ok) return response;
  let problem: Problem = { status: response.status, title: response.statusText, detail: '' };
  try {
    problem = { ...problem, ...((await response.json()) as Partial<Problem>) };
  } catch {
    // Not JSON: keep the status line.
  }
  if (response.status === 401 && init.key === undefined && !init.probe) onUnauthorized();
  throw new ApiError(problem);
}

export async function getJson<T>(path: string, query?: Query): Promise<T> {
  return (await request(withQuery(path, query))).json() as Promise<T>;
}

export async function postJson<T>(path: string, body: unknown): Promise<T> {
  return (await request(path, { method: 'POST', body })).json() as Promise<T>;
}

/** Path segment of an org, version or deployment reference. */
export const seg = (value: string | number) => encodeURIComponent(String(value));

export async function sendJson<T>(
  method: 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
): Promise<T | null> {
  const response = await request(path, { method, body, headers });
  return response.status === 204 ? null : (response.json() as Promise<T>);
}
