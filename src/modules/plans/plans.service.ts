/**
 * SSO as code (issue 19): plan a desired-state document (create-plan.ts), apply a plan
 * (apply-plan.ts), export the current state as a document (export-desired-state.ts). This file only
 * hands each its dependencies, for the routes.
 */
import type { Logger } from 'pino';
import type { Db } from '../../db/client.js';
import type { ChangeRunner } from '../audit/audited-change.js';
import type { TenantPrincipal } from '../auth/principal.js';
import type { OrgsService } from '../orgs/orgs.service.js';
import type { SecretsService } from '../secrets/secrets.service.js';
import type { SsoValidator } from '../sso-versions/sso-validation.js';
import type { SsoVersionsService } from '../sso-versions/sso-versions.service.js';
import { applyPlan, visiblePlan } from './apply-plan.js';
import { createPlan } from './create-plan.js';
import { exportDesiredState } from './export-desired-state.js';

export interface PlansServiceDeps {
  readonly db: Db;
  readonly change: ChangeRunner;
  readonly orgs: Pick<OrgsService, 'select'>;
  readonly secrets: Pick<SecretsService, 'fingerprint' | 'sealTenantSecret' | 'openTenantSecret'>;
  readonly validator: Pick<SsoValidator, 'validate'>;
  readonly versions: Pick<SsoVersionsService, 'persistDraft' | 'approveInTx'>;
  readonly allowHttp: boolean;
  readonly ttlSeconds: number;
  readonly logger: Pick<Logger, 'info'>;
  readonly now?: () => Date;
}

export function createPlansService(deps: PlansServiceDeps) {
  const d = { ...deps, now: deps.now ?? (() => new Date()) };
  return {
    create: createPlan.bind(null, d),
    get: (principal: TenantPrincipal, id: string) => visiblePlan(d.db, principal, id, d.now()),
    apply: applyPlan.bind(null, d),
    exportDesiredState: exportDesiredState.bind(null, d),
  };
}

export type PlansService = ReturnType<typeof createPlansService>;
