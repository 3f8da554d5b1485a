/**
 * SSO as code (issue 19): a plan of a desired-state document over ORGS orgs (default 1,000) on 10
 * issuers (one entry per issuer, selected by label; a client id per org from a placeholder; a new
 * client secret), then its apply, then the same document planned again (all noop). Targets: plan
 * ≤ 5 s, apply ≤ 10 s, at most 10 discovery documents fetched. Baselines in the same run, on the
 * same orgs: `POST /v1/sso/bulk` with `dryRun` (validates every org, writes nothing: what a plan
 * does besides comparing and storing) and `POST /v1/sso/bulk` drafting a change to every org (what
 * an apply does besides reading its plan).
 *
 *   npm run bench:plan            (ORGS=1000; BENCH_DATABASE_URL to use a server)
 */
import { PLATFORM_KEY, startBenchApp } from './support/app.js';
import { machine, timed } from './support/environment.js';
import { loopbackOutbound } from './support/loopback-outbound.js';
import { startManyIssuersProcess } from './support/many-issuers-process.js';
import { writeSection } from './support/report.js';

const ORGS = Number(process.env.ORGS ?? 1000);
const ISSUERS = 10;
const log = (msg: string) => process.stderr.write(`[bench:plan] ${msg}\n`);

const issuers = await startManyIssuersProcess(ISSUERS);
const bench = await startBenchApp('plan', {
  env: { OUTBOUND_ALLOWLIST: '127.0.0.1' },
  outbound: loopbackOutbound(),
});
const call = bench.call;

const sum = (list: number[]) => list.reduce((a, b) => a + b, 0);

try {
  const created = await call('POST', '/v1/tenants', PLATFORM_KEY, { slug: 'bench', name: 'Bench' });
  const admin: string = created.adminKey.token;
  const editor: string = (await call('POST', '/v1/api-keys', admin, { name: 'editor', roles: ['editor'] }))
    .token;

  const seeded = await timed(async () => {
    for (let i = 0; i < ORGS; i += 1) {
      await call('POST', '/v1/orgs', admin, {
        slug: `org-${String(i).padStart(5, '0')}`,
        name: `Org ${i}`,
        labels: { idp: String(i % ISSUERS), env: 'prod' },
      });
      if (i % 250 === 0) log(`orgs: ${i}/${ORGS}`);
    }
  });
  log(`seeded ${ORGS} orgs in ${seeded.seconds.toFixed(1)} s`);

  const document = {
    entries: Array.from({ length: ISSUERS }, (_v, k) => ({
      selector: `env=prod,idp=${k}`,
      note: 'bench plan',
      sso: {
        kind: 'oidc',
        idpIssuer: issuers.issuer(k),
        idpClientId: '{org.slug}-cognigy',
        idpClientSecret: 'bench-plan-client-secret-0123456789',
      },
    })),
  };

  await issuers.reset();
  const plan = await timed(() => call('POST', '/v1/plans', editor, { document }));
  const fetched = await issuers.counts();
  if (plan.value.totals?.draft !== ORGS)
    throw new Error(`plan: ${JSON.stringify(plan.value.totals ?? plan.value)}`);
  log(
    `plan: ${ORGS} orgs in ${plan.seconds.toFixed(2)} s; ${sum(fetched.documents)} documents, ${sum(fetched.jwks)} JWKS`,
  );

  const apply = await timed(() => call('POST', `/v1/plans/${plan.value.id}/apply`, editor, {}));
  const applied = (apply.value.orgs as { result?: { status: number } }[]).filter(
    (o) => o.result?.status === 201,
  ).length;
  if (applied !== ORGS) throw new Error(`apply: ${applied} of ${ORGS} drafted`);
  log(`apply: ${ORGS} drafts in ${apply.seconds.toFixed(2)} s`);

  const again = await timed(() => call('POST', '/v1/plans', editor, { document }));
  if (again.value.totals?.noop !== ORGS) throw new Error(`plan again: ${JSON.stringify(again.value.totals)}`);
  log(`plan again (all noop): ${again.seconds.toFixed(2)} s`);

  // Baselines on the same orgs (the discovery cache is warm for these issuers, as it is for the plans
  // above after their first fetch of each).
  const change = { idpAdditionalScope: 'profile' };
  const dryRun = await timed(() =>
    call('POST', '/v1/sso/bulk', editor, { selector: { labels: { env: 'prod' } }, change, dryRun: true }),
  );
  if (dryRun.value.summary?.succeeded !== ORGS)
    throw new Error(`dry run: ${JSON.stringify(dryRun.value.summary)}`);
  log(`baseline bulk dry run: ${dryRun.seconds.toFixed(2)} s`);
  const bulkDraft = await timed(() =>
    call('POST', '/v1/sso/bulk', editor, { selector: { labels: { env: 'prod' } }, change }),
  );
  if (bulkDraft.value.summary?.succeeded !== ORGS)
    throw new Error(`bulk draft: ${JSON.stringify(bulkDraft.value.summary)}`);
  log(`baseline bulk draft: ${bulkDraft.seconds.toFixed(2)} s`);

  const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
  const n = ORGS.toLocaleString('en');
  await writeSection(
    'plan',
    `## SSO as code: a plan and its apply over ${n} orgs on ${ISSUERS} issuers

${new Date().toISOString().slice(0, 10)} · ${machine()} · \`npm run bench:plan\`

One tenant, ${n} orgs without versions, labelled by issuer (${ISSUERS} loopback HTTPS issuers served by a child process of
the bench, cold discovery cache). The document has one entry per issuer (\`selector: env=prod,idp=<k>\`), a client
id per org from \`{org.slug}\`, and a new client secret. The plan validates every org (each org's issuer from the
cache after its first fetch), diffs it against nothing, and stores the plan with each org's secret sealed; the apply
writes ${n} versions, one transaction each with its audit event. Baselines, same run, same orgs, warm cache:
\`POST /v1/sso/bulk\` with \`dryRun\` (validates every org, writes nothing) and \`POST /v1/sso/bulk\` drafting a
change to every org.

| target (issue 19) | measured | |
| --- | --- | --- |
| plan ≤ 5 s | ${plan.seconds.toFixed(2)} s | ${verdict(plan.seconds <= 5)} |
| apply ≤ 10 s | ${apply.seconds.toFixed(2)} s | ${verdict(apply.seconds <= 10)} |
| at most ${ISSUERS} discovery fetches | ${sum(fetched.documents)} documents and ${sum(fetched.jwks)} JWKS (each issuer: ${fetched.documents.join('/')} documents) | ${verdict(sum(fetched.documents) <= ISSUERS)} |

| operation | wall time | per org | / baseline |
| --- | --- | --- | --- |
| plan (${n} drafts) | ${plan.seconds.toFixed(2)} s | ${((plan.seconds * 1000) / ORGS).toFixed(2)} ms | ${(plan.seconds / dryRun.seconds).toFixed(2)}× bulk dry run |
| plan again (${n} noop) | ${again.seconds.toFixed(2)} s | ${((again.seconds * 1000) / ORGS).toFixed(2)} ms | ${(again.seconds / dryRun.seconds).toFixed(2)}× bulk dry run |
| apply (${n} drafts) | ${apply.seconds.toFixed(2)} s | ${((apply.seconds * 1000) / ORGS).toFixed(2)} ms | ${(apply.seconds / bulkDraft.seconds).toFixed(2)}× bulk draft |
| baseline: bulk dry run | ${dryRun.seconds.toFixed(2)} s | ${((dryRun.seconds * 1000) / ORGS).toFixed(2)} ms | |
| baseline: bulk draft | ${bulkDraft.seconds.toFixed(2)} s | ${((bulkDraft.seconds * 1000) / ORGS).toFixed(2)} ms | |

Seeding the ${n} orgs through the API took ${seeded.seconds.toFixed(1)} s (not measured above).`,
  );
} finally {
  await bench.close();
  await issuers.close();
}
