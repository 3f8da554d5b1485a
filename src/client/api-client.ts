/**
 * The service's API as a typed client: openapi-fetch over the types that openapi-typescript generates
 * from openapi/openapi.json (openapi-types.ts, committed, written by `npm run openapi:write`), so a
 * call names its path and method as the document does and gets the document's request and answer
 * types. What the CLI and scripts talk through.
 */
import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './openapi-types.js';

export type ApiClient = Client<paths>;
export type Problem = components['schemas']['Problem'];

export interface ApiClientOptions {
  /** The service's origin, e.g. `http://127.0.0.1:3000` (paths start with /v1). */
  readonly baseUrl: string;
  readonly apiKey: string;
  /** Another fetch (tests, proxies); the global one by default. */
  readonly fetch?: typeof globalThis.fetch;
}

export function createApiClient({ baseUrl, apiKey, fetch }: ApiClientOptions): ApiClient {
  return createClient<paths>({
    baseUrl: baseUrl.replace(/\/+$/, ''),
    headers: { authorization: `Bearer ${apiKey}` },
    ...(fetch ? { fetch } : {}),
  });
}

/** A problem+json answer as one readable text: title, detail, and each field pointer with its detail. */
export function describeProblem(problem: Partial<Problem> | undefined, status: number): string {
  if (!problem || typeof problem !== 'object') return `HTTP ${status}`;
  const head = [problem.title ?? `HTTP ${status}`, problem.detail].filter(Boolean).join(': ');
  const fields = (problem.errors ?? []).map((e) => `  ${e.pointer}: ${e.detail}`);
  return [head, ...fields].join('\n');
}
