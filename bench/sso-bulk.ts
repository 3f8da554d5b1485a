/**
 * Bulk SSO work (issue 5): one change drafted across ORGS orgs (default 1,000) by label, validated
 * against a loopback HTTPS IdP (discovery once per issuer), then approved in bulk, then a second
 * change with the secret carried over. Baseline in the same run: the same draft made one org at a
 * time through POST /v1/orgs/{org}/sso/versions (sequential), per org.
 *
 *   npm run bench:bulk            (ORGS=1000; BENCH_DATABASE_URL to use a server)
 */
import { PLATFORM_KEY, startBenchApp } from './support/app.js';
import { machine, ms, timed } from './support/environment.js';
import { startBenchIdp } from './support/idp.js';
import { loopbackOutbound } from './support/loopback-outbound.js';
import { writeSection } from './support/report.js';

const ORGS = Number(process.env.ORGS ?? 1000);
const BASELINE_ORGS = Math.min(200, ORGS);
const log = (msg: string) => process.stderr.write(`[bench:bulk] ${msg}\n`);

const idp = await startBenchIdp();
const issuer = idp.issuer;
const bench = await startBenchApp('bulk', {
  env: { OUTBOUND_ALLOWLIST: '127.0.0.1' },
  outbound: loopbackOutbound(),
});
const call = bench.call;

try {
  const created = await call('POST', '/v1/tenants', PLATFORM_KEY, { slug: 'bench', name: 'Bench' });
  const admin: string = created.adminKey.token;
  const editor: string = (await call('POST', '/v1/api-keys', admin, { name: 'editor', roles: ['editor'] }))
    .token;
  const approver: string = (
    await call('POST', '/v1/api-keys', admin, { name: 'approver', roles: ['approver'] })
  ).token;

  const seeded = await timed(async () => {
    for (let i = 0; i < ORGS + BASELINE_ORGS; i += 1) {
      const group = i < ORGS ? 'bulk' : 'single';
      await call('POST', '/v1/orgs', admin, {
        slug: `org-${i}`,
        name: `Org ${i}`,
        labels: { group, shard: String(i % 4) },
      });
      if (i % 250 === 0) log(`orgs: ${i}/${ORGS + BASELINE_ORGS}`);
    }
  });
  log(`seeded ${ORGS + BASELINE_ORGS} orgs in ${seeded.seconds.toFixed(1)} s`);

  const draft = {
    kind: 'oidc',
    idpIssuer: issuer,
    idpClientId: 'cognigy-{org.labels.shard}',
    idpClientSecret: 'bench-client-secret-0123456789',
  };

  // Baseline: one draft per request, sequential (same validation, warm discovery cache).
  const single = await timed(async () => {
    for (let i = ORGS; i < ORGS + BASELINE_ORGS; i += 1) {
      await call('POST', `/v1/orgs/org-${i}/sso/versions`, editor, {
        ...draft,
        idpClientId: `cognigy-${i % 4}`,
        baseVersion: 0,
      });
    }
  });
  const singlePerOrg = (single.seconds * 1000) / BASELINE_ORGS;
  log(
    `baseline: ${BASELINE_ORGS} single drafts in ${single.seconds.toFixed(1)} s (${ms(singlePerOrg)} per org)`,
  );

  const before = idp.requests();
  const bulkDraft = await timed(() =>
    call('POST', '/v1/sso/bulk', editor, {
      selector: { labels: { group: 'bulk' } },
      change: draft,
      note: 'bench',
    }),
  );
  const idpDuringBulk = idp.requests() - before;
  const draftSummary = bulkDraft.value.summary;
  if (draftSummary.succeeded !== ORGS) throw new Error(`bulk draft: ${JSON.stringify(draftSummary)}`);
  log(`bulk draft: ${ORGS} orgs in ${bulkDraft.seconds.toFixed(1)} s (${idpDuringBulk} IdP requests)`);

  const bulkApprove = await timed(() =>
    call('POST', '/v1/sso/bulk/approve', approver, { bulkId: bulkDraft.value.bulkId, comment: 'bench' }),
  );
  if (bulkApprove.value.summary.succeeded !== ORGS)
    throw new Error(`bulk approve: ${JSON.stringify(bulkApprove.value.summary)}`);
  log(`bulk approve: ${ORGS} orgs in ${bulkApprove.seconds.toFixed(1)} s`);

  const carried = await timed(() =>
    call('POST', '/v1/sso/bulk', editor, {
      selector: { labels: { group: 'bulk' } },
      change: { idpIdTokenSignedResponseAlg: 'RS256', idpAdditionalScope: 'profile' },
    }),
  );
  if (carried.value.summary.succeeded !== ORGS)
    throw new Error(`second bulk: ${JSON.stringify(carried.value.summary)}`);
  log(`bulk change with carried secrets: ${ORGS} orgs in ${carried.seconds.toFixed(1)} s`);

  const perOrg = (s: number) => (s * 1000) / ORGS;
  const row = (name: string, seconds: number) =>
    `| ${name} | ${seconds.toFixed(1)} s | ${Math.round(ORGS / seconds)} | ${ms(perOrg(seconds))} | ${(perOrg(seconds) / singlePerOrg).toFixed(2)}× |`;
  await writeSection(
    'bulk',
    `## Bulk SSO changes across ${ORGS.toLocaleString('en')} orgs

${new Date().toISOString().slice(0, 10)} · ${machine()} · \`npm run bench:bulk\`

One \`POST /v1/sso/bulk\` (selected by label) drafting an OIDC configuration with a new client secret for
${ORGS.toLocaleString('en')} orgs, each draft validated against a loopback HTTPS IdP, then one \`POST /v1/sso/bulk/approve\`
of those drafts, then a second bulk change whose secrets are carried over (decrypted and re-sealed per
version). Every org is its own transaction with its own audit event. Baseline (same run): the same draft
made one org at a time through \`POST /v1/orgs/{org}/sso/versions\`, sequentially, for ${BASELINE_ORGS} orgs:
${ms(singlePerOrg)} per org.

| operation | wall time | orgs/s | per org | per org / single draft (baseline) |
| --- | --- | --- | --- | --- |
${row('bulk draft (new secret)', bulkDraft.seconds)}
${row('bulk approve', bulkApprove.seconds)}
${row('bulk draft (secrets carried over)', carried.seconds)}

The IdP received ${idpDuringBulk} requests during the first bulk draft: discovery is cached per issuer, and the baseline
had already fetched this issuer's document and JWKS (the tests prove a cold bulk asks once per issuer).
Every result was per org (${ORGS.toLocaleString('en')} results, 0 failed).`,
  );
} finally {
  await bench.close();
  await idp.close();
}
