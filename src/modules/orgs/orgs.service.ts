/**
 * Organisations and their Cognigy target. Role checks happen at the route (declared access);
 * here: tenant isolation, org scope, optimistic concurrency, and secrets that never leave sealed.
 * One file per use case; this file only hands each its dependencies, for the routes and the modules
 * that act on orgs.
 */
import type { Db } from '../../db/client.js';
import type { ChangeRunner } from '../audit/audited-change.js';
import type { SecretsService } from '../secrets/secrets.service.js';
import { findCognigyTarget, loadCognigyCredentials, putCognigyTarget } from './cognigy-target.js';
import { findOrg, lockForWrite } from './org-access.js';
import { archiveOrg, createOrg, updateOrg } from './org-changes.js';
import { listOrgs, selectOrgs } from './org-queries.js';

export interface OrgsServiceDeps {
  readonly db: Db;
  readonly secrets: Pick<SecretsService, 'sealSecret' | 'openSecret' | 'fingerprint' | 'shredOrg'>;
  readonly allowHttp: boolean;
  readonly change: ChangeRunner;
}

export function createOrgsService(deps: OrgsServiceDeps) {
  return {
    find: findOrg.bind(null, deps),
    lockForWrite,
    create: createOrg.bind(null, deps),
    list: listOrgs.bind(null, deps),
    update: updateOrg.bind(null, deps),
    archive: archiveOrg.bind(null, deps),
    putCognigyTarget: putCognigyTarget.bind(null, deps),
    select: selectOrgs.bind(null, deps),
    findCognigyTarget: findCognigyTarget.bind(null, deps),
    loadCognigyCredentials: loadCognigyCredentials.bind(null, deps),
  };
}

export type OrgsService = ReturnType<typeof createOrgsService>;
