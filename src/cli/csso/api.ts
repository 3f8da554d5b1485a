/**
 * csso's way to the service: the typed client of src/client (openapi-fetch over the types generated
 * from openapi/openapi.json), with csso's user agent (the audit trail records it) and failures turned
 * into what the person at the terminal needs: the problem's title, detail and field pointers, or why
 * the service could not be reached.
 */
import { type ApiClient, createApiClient, describeProblem, type Problem } from '../../client/api-client.js';
import type { Credentials } from './config.js';
import { CliError } from './errors.js';
import { CSSO_VERSION } from './version.js';

export type { ApiClient };

/** The client for `credentials`; a connection failure throws a CliError naming the URL. */
export function connect(credentials: Credentials): ApiClient {
  const fetchWithAgent: typeof globalThis.fetch = async (input, init) => {
    const request = new Request(input, init);
    request.headers.set('user-agent', `csso/${CSSO_VERSION}`);
    try {
      return await globalThis.fetch(request);
    } catch (error) {
      const cause = (error as { cause?: { message?: string } }).cause?.message;
      throw new CliError(`cannot reach ${credentials.url}: ${cause ?? (error as Error).message}`, 1, {
        cause: error,
      });
    }
  };
  return createApiClient({ baseUrl: credentials.url, apiKey: credentials.apiKey, fetch: fetchWithAgent });
}

/** The error of a failed call, as printed: the problem's title, detail and each field pointer. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly problem: Partial<Problem> | undefined,
  ) {
    super(describeProblem(problem, status));
  }

  /** The same error, each field pointer followed by where `locate` finds it (`sso.yaml:12:7`). */
  located(locate: (pointer: string) => string | undefined): ApiError {
    if (!this.problem?.errors) return this;
    const errors = this.problem.errors.map((e) => {
      const where = locate(e.pointer);
      return where ? { ...e, pointer: `${e.pointer} (${where})` } : e;
    });
    return new ApiError(this.status, { ...this.problem, errors });
  }
}

/**
 * The answer's body when the call succeeded.
 * @throws ApiError with the problem otherwise.
 */
export function expectOk<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.response.ok && result.data !== undefined) return result.data;
  throw new ApiError(result.response.status, result.error as Partial<Problem> | undefined);
}
