/**
 * The SSO-as-code operations of the service (createPlan, getPlan, applyPlan, exportDesiredState)
 * through the typed client. The plans they answer are typed by the OpenAPI document and narrowed to
 * csso's {@link Plan} here, so a change of the answer's shape that csso's rendering cannot read fails
 * to compile.
 */
import { type ApiClient, ApiError, expectOk } from './api.js';
import type { DesiredState, LoadedDocument } from './document.js';
import type { Plan } from './plan-types.js';

/** Plans the loaded document; a problem's field pointers are shown with their place in the file. */
export async function createPlan(client: ApiClient, loaded: LoadedDocument): Promise<Plan> {
  try {
    const plan: Plan = expectOk(
      await client.POST('/v1/plans', {
        // What the file says, as it says it: the service validates it and points at what is wrong.
        body: { document: loaded.document as never },
      }),
    );
    return plan;
  } catch (error) {
    if (error instanceof ApiError) throw error.located(loaded.locate);
    throw error;
  }
}

export async function getPlan(client: ApiClient, id: string): Promise<Plan> {
  const plan: Plan = expectOk(await client.GET('/v1/plans/{id}', { params: { path: { id } } }));
  return plan;
}

export async function applyPlan(
  client: ApiClient,
  id: string,
  options: { approve?: boolean; comment?: string },
): Promise<Plan> {
  const plan: Plan = expectOk(
    await client.POST('/v1/plans/{id}/apply', {
      params: { path: { id } },
      body: {
        ...(options.approve ? { approve: true } : {}),
        ...(options.comment ? { comment: options.comment } : {}),
      },
    }),
  );
  return plan;
}

/** The desired state of the tenant's orgs (optionally selected by labels), secrets as `{ keep: true }`. */
export async function exportDesiredState(client: ApiClient, selector?: string): Promise<DesiredState> {
  const document = expectOk(
    await client.GET('/v1/sso/desired-state', { params: { query: selector ? { selector } : {} } }),
  );
  return document as DesiredState;
}
