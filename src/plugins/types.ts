/** What routes declare and requests carry, added to Fastify's own types. */

import type { AuthenticatedSession } from '../modules/auth/console-session.js';
import type { Principal, Role } from '../modules/auth/principal.js';

/**
 * Who may call a route. `public`: anyone (health, docs). `platform`: the platform admin key only.
 * Otherwise a tenant key holding one of `roles`; `unscoped` also refuses org-scoped keys; `platform`
 * lets the platform admin key call it too (for the platform's own audit chain).
 */
export type Access =
  | 'public'
  | 'platform'
  | { readonly roles: readonly Role[]; readonly unscoped?: boolean; readonly platform?: boolean };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    principal: Principal | undefined;
    /** Set when the caller is a person authenticated by the console session cookie. */
    consoleSession: AuthenticatedSession | undefined;
  }
}
