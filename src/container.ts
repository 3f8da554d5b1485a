/**
 * The composition root, wired by hand: one short block per module. Tests build the same container
 * with their own database, keyring and logger.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from './config/config.js';
import type { Database } from './db/client.js';
import type { MigrationFile } from './db/migrator.js';
import { createApiKeysService } from './modules/api-keys/api-keys.service.js';
import { createAuditService } from './modules/audit/audit.service.js';
import { createChangeRunner } from './modules/audit/audited-change.js';
import { createCheckpointsService } from './modules/audit-checkpoints/checkpoints.service.js';
import { createAuthenticator } from './modules/auth/authenticator.js';
import { createCognigyClient } from './modules/cognigy/cognigy-client.js';
import { createConsoleLoginService } from './modules/console-login/console-login.service.js';
import { createConsoleSessionsService } from './modules/console-sessions/sessions.service.js';
import { createSignInService } from './modules/console-sign-in/sign-in.service.js';
import type { Keyring } from './modules/crypto/keyring.js';
import { generateSigningKey, parseSigningKey, type SigningKey } from './modules/crypto/signing-key.js';
import { createDiscoveryValidator } from './modules/discovery/discovery-validator.js';
import { createFindingsService } from './modules/findings/findings.service.js';
import { createDeploymentHooks } from './modules/forwarding/deployment-hooks.js';
import { deploymentsRepository } from './modules/forwarding/deployments.repository.js';
import { createDeploymentsService } from './modules/forwarding/deployments.service.js';
import { createForwarder } from './modules/forwarding/forwarder.js';
import { createForwardingMetrics } from './modules/forwarding/forwarding-metrics.js';
import { createIdempotencyService } from './modules/idempotency/idempotency.service.js';
import { createJobRunner } from './modules/jobs/job-runner.js';
import { jobsRepository } from './modules/jobs/jobs.repository.js';
import { orgsRepository } from './modules/orgs/orgs.repository.js';
import { createOrgsService } from './modules/orgs/orgs.service.js';
import {
  compileAllowlist,
  isAddressAllowlisted,
  isHostAllowlisted,
} from './modules/outbound/address-policy.js';
import { createOutboundFetch, type OutboundClient } from './modules/outbound/outbound-client.js';
import { createPlansService } from './modules/plans/plans.service.js';
import { createSecretsService } from './modules/secrets/secrets.service.js';
import { createSsoBulkService } from './modules/sso-versions/sso-bulk.service.js';
import { createSsoValidator } from './modules/sso-versions/sso-validation.js';
import { ssoVersionsRepository } from './modules/sso-versions/sso-versions.repository.js';
import { createSsoVersionsService } from './modules/sso-versions/sso-versions.service.js';
import { createTenantsService } from './modules/tenants/tenants.service.js';
import { createWatchService } from './modules/watch/watch.service.js';
import { createWatchChecks } from './modules/watch/watch-checks.js';
import { createWatchMetrics } from './modules/watch/watch-metrics.js';
import { createWebhookMetrics } from './modules/webhooks/webhook-metrics.js';
import { createWebhookOutbox } from './modules/webhooks/webhook-outbox.js';
import { createWebhookSender } from './modules/webhooks/webhook-sender.js';
import { DELIVERY_QUEUE, webhooksRepository } from './modules/webhooks/webhooks.repository.js';
import { createWebhooksService } from './modules/webhooks/webhooks.service.js';
import { createMetricsRegistry } from './plugins/metrics.js';

export interface ContainerInput {
  readonly config: Config;
  readonly logger: Logger;
  readonly database: Database;
  readonly keyring: Keyring;
  readonly migrations: readonly MigrationFile[];
  /**
   * The key that signs audit checkpoints (the server passes loadSigningKey's). Absent: AUDIT_SIGNING_KEY,
   * or else a key of this container only (tests, the OpenAPI writer).
   */
  readonly signingKey?: SigningKey;
  /** Replaces the policy-checked outbound client (tests that must never reach another host). */
  readonly outbound?: OutboundClient;
}

export function createContainer(input: ContainerInput) {
  const { config, logger, database, keyring, migrations } = input;
  const db = database.db;
  const metrics: Registry = createMetricsRegistry();

  const secrets = createSecretsService(keyring);
  // Verified keys are trusted for AUTH_CACHE_TTL_SECONDS without a database read; a revocation
  // through this process applies at once, one through another process within that time.
  const authenticator = createAuthenticator(db, { cacheTtlMs: config.authCacheTtlMs });
  const idempotency = createIdempotencyService({ db, secrets, ttlSeconds: config.idempotencyTtlSeconds });

  const audit = createAuditService({ db, pool: database.pool });
  // Webhooks (issue 18): the outbox sees every change's audit events and writes the webhook events
  // among them, with their deliveries, in the change's own transaction; it then wakes the worker.
  const webhookWake = { poke: () => {} };
  const change = createChangeRunner(
    db,
    audit,
    createWebhookOutbox({ onEnqueued: () => webhookWake.poke() }),
    idempotency.noteChangeMade,
  );

  const apiKeys = createApiKeysService({
    db,
    countActiveOrgs: orgsRepository.countActiveInScope,
    change,
    onRevoked: authenticator.forget,
  });
  const tenants = createTenantsService({ db, secrets, apiKeys, change });
  const orgs = createOrgsService({
    db,
    secrets,
    allowHttp: config.outbound.allowHttp,
    change,
  });

  // Every outbound request passes the network policy (§8); discovery validates issuers through it (§5).
  // The pool allows as many connections to one host as forwarding may have calls in flight to it.
  const outbound =
    input.outbound ??
    createOutboundFetch({
      ...config.outbound,
      maxConnectionsPerOrigin: Math.max(10, config.forwarding.perApiBase),
    });
  const discovery = createDiscoveryValidator({
    fetch: outbound,
    allowHttp: config.outbound.allowHttp,
    cacheTtlMs: config.discoveryCache.ttlSeconds * 1000,
    maxCacheEntries: config.discoveryCache.maxEntries,
    metrics,
  });

  // SSO versions (§4): drafts validated through discovery, reviewed, diffed, rolled back.
  const allowlist = compileAllowlist(config.outbound.allowlist);
  const ssoValidator = createSsoValidator({
    discovery,
    allowHttp: config.outbound.allowHttp,
    isAllowlistedHost: (host) => isHostAllowlisted(host, allowlist) || isAddressAllowlisted(host, allowlist),
  });
  // Forwarding (§6): approval enqueues a deployment in its own transaction; a worker sends it.
  const forwardingHooks = createDeploymentHooks();
  const ssoVersions = createSsoVersionsService({
    db,
    change,
    secrets,
    orgs,
    validator: ssoValidator,
    allowHttp: config.outbound.allowHttp,
    onApproved: forwardingHooks.enqueueApproved,
  });
  const forwarder = createForwarder({
    db,
    change,
    logger,
    client: createCognigyClient({ fetch: outbound, timeoutMs: config.forwarding.callTimeoutMs }),
    loadTarget: (tenantId, orgId) => orgs.findCognigyTarget(tenantId, orgId),
    loadVersion: (versionId) => ssoVersions.forwardable(versionId),
    policy: {
      maxAttempts: config.forwarding.maxAttempts,
      baseDelayMs: config.forwarding.backoffBaseMs,
      maxDelayMs: config.forwarding.backoffMaxMs,
      deadlineMs: config.forwarding.deadlineMs,
    },
    concurrency: config.forwarding.concurrency,
    perApiBase: config.forwarding.perApiBase,
    sharedBound: config.forwarding.perApiBaseShared,
    leaseMs: config.forwarding.leaseMs,
    pollMs: config.forwarding.pollMs,
    metrics: createForwardingMetrics(metrics, () => deploymentsRepository.queueDepth(db)),
  });
  const deployments = createDeploymentsService({
    db,
    change,
    orgs,
    latestApprovedNumber: async (on, orgId) =>
      (await ssoVersionsRepository.latestApproved(on, orgId))?.number ?? null,
  });
  const ssoBulk = createSsoBulkService({ db, change, orgs, versions: ssoVersions, logger });
  const plans = createPlansService({
    db,
    change,
    orgs,
    secrets,
    validator: ssoValidator,
    versions: ssoVersions,
    allowHttp: config.outbound.allowHttp,
    ttlSeconds: config.planTtlSeconds,
    logger,
  });

  // Background work other than forwarding runs on one job queue; the watch (issue 17) is its first
  // user: rounds of discovery and local checks, turned into findings.
  const jobs = createJobRunner({
    db,
    logger,
    concurrency: config.jobs.concurrency,
    leaseSeconds: config.jobs.leaseSeconds,
    pollMs: config.jobs.pollMs,
  });
  const findings = createFindingsService({ db, change, orgs });
  const watchMetrics = createWatchMetrics(metrics, {
    openFindings: () => findings.countOpen(),
    jobDepth: () => jobsRepository.depth(db),
  });
  const watch = createWatchService({
    db,
    jobs,
    checks: createWatchChecks({
      db,
      discovery,
      findings,
      metrics: watchMetrics,
      stuckAfterMs: config.watch.deliveryStuckMs,
      probeIntervalSeconds: config.watch.probeIntervalSeconds,
      openClientSecret: async (versionId) =>
        (await (await ssoVersions.forwardable(versionId))?.openSecrets())?.idpClientSecret ?? null,
    }),
    findings,
    orgs,
    change,
    probeIntervalSeconds: config.watch.probeIntervalSeconds,
    logger,
    metrics: watchMetrics,
    discoveryIntervalMs: config.watch.discoveryIntervalMs,
    concurrency: config.watch.concurrency,
    share: config.watch.share,
    localIntervalMs: config.watch.expiryIntervalMs,
    jobRetentionDays: config.jobs.retentionDays,
  });

  // Webhook deliveries run on the same jobs table, with slots of their own (many short calls that
  // must not wait behind the watch's rounds), claimed a few at a time, and a keep-alive pool sized
  // for them; every delivery passes the outbound network policy.
  const webhookJobs = createJobRunner({
    db,
    logger,
    concurrency: config.webhooks.concurrency,
    leaseSeconds: config.jobs.leaseSeconds,
    pollMs: config.jobs.pollMs,
    claimBatch: Math.max(1, Math.floor(config.webhooks.concurrency / 4)),
  });
  webhookWake.poke = () => webhookJobs.poke();
  const webhookOutbound =
    input.outbound ??
    createOutboundFetch({
      ...config.outbound,
      timeoutMs: config.webhooks.timeoutMs,
      maxConnectionsPerOrigin: config.webhooks.concurrency,
    });
  webhookJobs.handle(
    DELIVERY_QUEUE,
    createWebhookSender({
      db,
      fetch: webhookOutbound,
      secrets,
      change,
      logger,
      policy: {
        timeoutMs: config.webhooks.timeoutMs,
        retryWindowMs: config.webhooks.retryWindowMs,
        disableAfterMs: config.webhooks.disableAfterMs,
        baseDelayMs: config.webhooks.backoffBaseMs,
        maxDelayMs: config.webhooks.backoffMaxMs,
      },
      metrics: createWebhookMetrics(metrics, () => webhooksRepository.backlog(db)),
    }),
  );
  const webhooks = createWebhooksService({
    db,
    change,
    secrets,
    urlPolicy: { allowHttp: config.outbound.allowHttp, allowlist },
    secretOverlapMs: config.webhooks.secretOverlapMs,
    onEnqueued: () => webhookJobs.poke(),
  });

  // Console sign-in (issue 20): the tenant's own IdP for its people, checked like an SSO version.
  const consoleLogin = createConsoleLoginService({
    db,
    change,
    secrets,
    discovery,
    orgs,
    publicUrl: config.publicUrl,
  });

  const consoleSessions = createConsoleSessionsService({
    db,
    change,
    idleMs: config.consoleSessions.idleMs,
    maxMs: config.consoleSessions.maxMs,
    retentionMs: config.consoleSessions.retentionMs,
    jobs,
    logger,
  });
  const signIn = createSignInService({
    db,
    change,
    secrets,
    sessions: consoleSessions,
    fetch: outbound,
    allowHttp: config.outbound.allowHttp,
    publicUrl: config.publicUrl,
  });

  // Signed checkpoints of the audit chains (issue 21), on the watch's job runner: one job per period.
  const signingKey =
    input.signingKey ??
    (config.auditSigningKey ? parseSigningKey(config.auditSigningKey) : generateSigningKey().key);
  const checkpoints = createCheckpointsService({
    db,
    change,
    signingKey,
    jobs,
    intervalMs: config.auditCheckpointIntervalSeconds * 1000,
    logger,
    onWebhookEnqueued: () => webhookJobs.poke(),
  });

  return {
    config,
    logger,
    database,
    keyring,
    migrations,
    metrics,
    secrets,
    audit,
    change,
    authenticator,
    idempotency,
    apiKeys,
    tenants,
    orgs,
    outbound,
    discovery,
    ssoVersions,
    ssoBulk,
    plans,
    forwarder,
    deployments,
    jobs,
    findings,
    watch,
    webhooks,
    webhookJobs,
    webhookOutbound,
    consoleLogin,
    consoleSessions,
    signIn,
    checkpoints,
  };
}

export type Container = ReturnType<typeof createContainer>;
