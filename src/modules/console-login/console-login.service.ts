/**
 * A tenant's console login settings (issue 20): read, saved (validated through discovery before the
 * change's transaction, the client secret sealed with the tenant's data key), removed (which ends
 * the tenant's console sessions). Every change is audited with the secret as its fingerprint only.
 */
import type { Db } from '../../db/client.js';
import { ConflictError, NotFoundError, UnprocessableError } from '../../lib/errors.js';
import { expectedRevision } from '../../lib/etag.js';
import type { ChangeContext } from '../../lib/request-context.js';
import type { ChangeRunner } from '../audit/audited-change.js';
import { changes } from '../audit/diff.js';
import { requireUnscoped, type TenantPrincipal } from '../auth/principal.js';
import { sessionsRepository } from '../console-sessions/sessions.repository.js';
import type { DiscoveryValidator } from '../discovery/discovery-validator.js';
import { DEFAULT_ID_TOKEN_ALG } from '../discovery/oidc-options.js';
import type { OrgsService } from '../orgs/orgs.service.js';
import type { SecretsService, TenantSecretLocation } from '../secrets/secrets.service.js';
import { tenantsRepository } from '../tenants/tenants.repository.js';
import {
  type ConsoleLoginRow,
  consoleLoginRepository as repo,
  type StoredRoleMapping,
} from './console-login.repository.js';
import type { PutConsoleLoginBody } from './console-login.schemas.js';
import { validationOf } from './console-login-validation.js';
import { consoleUrls, toConsoleLoginAuditView, toConsoleLoginView } from './console-login-view.js';

export interface ConsoleLoginServiceDeps {
  readonly db: Db;
  readonly change: ChangeRunner;
  readonly secrets: Pick<SecretsService, 'sealTenantSecret' | 'openTenantSecret' | 'fingerprint'>;
  readonly discovery: Pick<DiscoveryValidator, 'check'>;
  readonly orgs: Pick<OrgsService, 'find'>;
  readonly publicUrl: string;
  readonly now?: () => Date;
}

/** Where the console client secret of a tenant is sealed (associated data binds it there). */
export const consoleSecretLocation = (tenantId: string): TenantSecretLocation => ({
  tenantId,
  record: `console_logins/${tenantId}`,
  field: 'client_secret',
});

export function createConsoleLoginService(deps: ConsoleLoginServiceDeps) {
  const { db, change, secrets } = deps;
  const now = deps.now ?? (() => new Date());

  async function urlsOf(tenantId: string) {
    const tenant = await tenantsRepository.findById(db, tenantId);
    if (!tenant) throw new NotFoundError('TENANT_NOT_FOUND', 'No such tenant');
    return consoleUrls(deps.publicUrl, tenant.slug);
  }

  /** Org refs (ids or slugs) of each mapping → org ids of the tenant; an unknown one is a 422. */
  async function resolveMappings(principal: TenantPrincipal, body: PutConsoleLoginBody) {
    const resolved: StoredRoleMapping[] = [];
    for (const [index, m] of body.roleMappings.entries()) {
      let orgScope: string[] | null = null;
      if (m.orgScope) {
        orgScope = [];
        for (const ref of m.orgScope) {
          const org = await deps.orgs.find(principal, ref).catch(() => null);
          if (!org) {
            throw new UnprocessableError('CONSOLE_LOGIN_ORG_UNKNOWN', `No org "${ref}" in this tenant`, {
              errors: [{ pointer: `/roleMappings/${index}/orgScope`, detail: `unknown org ${ref}` }],
            });
          }
          orgScope.push(org.id);
        }
      }
      resolved.push({ group: m.group, roles: [...m.roles], orgScope });
    }
    return resolved;
  }

  return {
    async get(principal: TenantPrincipal) {
      requireUnscoped(principal);
      const row = await repo.find(db, principal.tenantId);
      return toConsoleLoginView(row, await urlsOf(principal.tenantId));
    },

    async put(ctx: ChangeContext, principal: TenantPrincipal, body: PutConsoleLoginBody, ifMatch?: string) {
      requireUnscoped(principal);
      const expected = expectedRevision(ifMatch);
      const urls = await urlsOf(principal.tenantId);
      const current = await repo.find(db, principal.tenantId);
      const secretGiven = body.clientSecret;
      if (!secretGiven && !current) {
        throw new UnprocessableError(
          'CONSOLE_LOGIN_SECRET_REQUIRED',
          'The client secret is required the first time console sign-in is set up',
          { errors: [{ pointer: '/clientSecret', detail: 'required' }] },
        );
      }
      const roleMappings = await resolveMappings(principal, body);
      const clientSecret =
        secretGiven ??
        (await secrets.openTenantSecret(
          db,
          consoleSecretLocation(principal.tenantId),
          (current as ConsoleLoginRow).clientSecretSealed,
        ));
      const alg = body.idTokenSignedResponseAlg ?? DEFAULT_ID_TOKEN_ALG;
      // No network call inside a transaction: discovery (and the credential probe) run first.
      const report = await deps.discovery.check({
        issuer: body.issuer,
        idTokenSignedResponseAlg: alg,
        probe: { clientId: body.clientId, clientSecret, redirectUri: urls.redirectUri },
        refresh: true,
      });
      const validation = validationOf(report);
      if (report.status === 'fail') {
        throw new UnprocessableError(
          'CONSOLE_LOGIN_VALIDATION_FAILED',
          'The identity provider did not pass validation; nothing was saved (see validation)',
          { body: { validation } },
        );
      }
      const saved = await change(ctx, async (tx, trail) => {
        const before = await repo.lock(tx, principal.tenantId);
        if (expected !== undefined && (before?.revision ?? 0) !== expected) {
          throw new ConflictError(
            'CONSOLE_LOGIN_STALE',
            'The settings changed since you read them; read them again',
          );
        }
        const row = await repo.upsert(tx, {
          tenantId: principal.tenantId,
          issuer: report.issuer.discovered ?? body.issuer,
          clientId: body.clientId,
          clientSecretSealed: await secrets.sealTenantSecret(
            tx,
            consoleSecretLocation(principal.tenantId),
            clientSecret,
          ),
          clientSecretFingerprint: await secrets.fingerprint(tx, principal.tenantId, clientSecret),
          idTokenAlg: alg,
          groupsClaim: body.groupsClaim ?? 'groups',
          roleMappings,
          allowedEmailDomains: (body.allowedEmailDomains ?? []).map((d) => d.toLowerCase()),
          apiKeySignInAllowed: body.apiKeySignInAllowed ?? true,
          validation,
        });
        await trail.record({
          tenantId: principal.tenantId,
          action: 'console_login.updated',
          target: { type: 'console_login', id: principal.tenantId },
          diff: changes(before ? toConsoleLoginAuditView(before) : {}, toConsoleLoginAuditView(row)),
        });
        return row;
      });
      return toConsoleLoginView(saved, urls);
    },

    /** Turns console sign-in off for the tenant and ends its sessions. */
    async remove(ctx: ChangeContext, principal: TenantPrincipal) {
      requireUnscoped(principal);
      await change(ctx, async (tx, trail) => {
        const before = await repo.lock(tx, principal.tenantId);
        if (!before) throw new NotFoundError('CONSOLE_LOGIN_NOT_FOUND', 'Console sign-in is not set up');
        await repo.remove(tx, principal.tenantId);
        const sessionsEnded = await sessionsRepository.endAllOfTenant(
          tx,
          principal.tenantId,
          'console_login_removed',
          now(),
        );
        await trail.record({
          tenantId: principal.tenantId,
          action: 'console_login.removed',
          target: { type: 'console_login', id: principal.tenantId },
          diff: { before: toConsoleLoginAuditView(before), after: { sessionsEnded } },
        });
      });
    },

    /** For the key sign-in page: an unknown tenant answers like one without console sign-in. */
    async options(tenantSlug: string) {
      const found = await repo.findByTenantSlug(db, tenantSlug);
      if (!found?.login) return { ssoAvailable: false, loginUrl: null, apiKeySignInAllowed: true };
      return {
        ssoAvailable: true,
        loginUrl: consoleUrls(deps.publicUrl, found.slug).loginUrl,
        apiKeySignInAllowed: found.login.apiKeySignInAllowed,
      };
    },
  };
}

export type ConsoleLoginService = ReturnType<typeof createConsoleLoginService>;
