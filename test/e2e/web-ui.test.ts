/**
 * The web UI end to end, in a real headless Chromium (Debian's `chromium`, driven by playwright-core)
 * against a real service on loopback: a real OIDC provider validates the drafts and a fake Cognigy
 * receives the forwarded version. One flow: sign in, open an org, read the timeline, open a
 * deployment's attempts, diff two versions, see why the author cannot approve, approve as a second
 * key, see the audit events appear (with infinite scroll), export NDJSON and CSV, verify the chain;
 * then "Check now" on an org whose SAML certificate runs out in 20 days, and its findings on the org
 * page and in the Attention view.
 *
 * Along the way: a screenshot of every view (test/artifacts/ui/), an axe-core check of every view
 * (no serious or critical violation), no Content-Security-Policy violation or console error, and no
 * secret (client secrets, the Cognigy API key) in any response the browser received.
 *
 * Skipped with a message when Chromium is absent (`apt-get install chromium`); under CI it must be
 * there (.ci/run installs it).
 */
// biome-ignore-all lint/performance/useDomNodeTextContent: Playwright's locator.innerText() keeps the cell separators the assertions read
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { builtUiDir } from '../../src/modules/ui/ui.routes.js';
import {
  CLIENT_ID,
  CLIENT_SECRET,
  loopbackFetch,
  type OidcProviderServer,
  startOidcProvider,
} from '../modules/discovery/idp-servers.js';
import { samlMaterial } from '../modules/sso-versions/sso-support.js';
import { bearer, createTenant, createTestApp, type TestApp } from '../support/app.js';
import {
  type AxeResult,
  axeSummary,
  capture as captureView,
  chromiumOrSkip,
  launchChromium,
  newPageRecord,
  watchPage,
} from '../support/browser.js';
import { type FakeCognigy, startFakeCognigy } from '../support/fake-cognigy.js';

const COGNIGY_API_KEY = 'COGNIGY-UI-E2E-KEY-9f8e7d6c5b4a3210fedc';
const NEW_DECRYPTION_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
/** What must never reach the browser: the client secret, the Cognigy API key, the SAML keys (a line of each PEM). */
const SECRETS = [
  CLIENT_SECRET,
  COGNIGY_API_KEY,
  NEW_DECRYPTION_KEY.split('\n')[1] as string,
  samlMaterial().privateKeyPem.split('\n')[1] as string,
];

/** A self-signed IdP certificate (PEM) that runs out in `days` days, made by openssl. */
function certificateExpiringIn(days: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'web-ui-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
        ...['-days', String(days), '-subj', '/CN=idp.e2e', '-keyout', 'k.pem', '-out', 'c.pem'],
      ],
      { cwd: dir, stdio: 'ignore' },
    );
    return readFileSync(join(dir, 'c.pem'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const HAS_CHROMIUM = chromiumOrSkip('web UI end-to-end test');

describe.skipIf(!HAS_CHROMIUM)('the web UI in Chromium', () => {
  let t: TestApp;
  let idp: OidcProviderServer;
  let fake: FakeCognigy;
  let browser: Browser;
  let base: string;
  const keys = {} as Record<'admin' | 'author' | 'approver' | 'reviewer', { id: string; token: string }>;
  /** Every response body the browser received, and every problem the page reported. */
  const record = newPageRecord();
  const { bodies, problems: pageProblems, visitedUrls } = record;
  const axeResults: AxeResult[] = [];

  const api = async (
    method: 'GET' | 'POST' | 'PUT' | 'PATCH',
    url: string,
    key: string,
    payload?: object,
  ) => {
    const res = await t.app.inject({ method, url, headers: bearer(key), ...(payload ? { payload } : {}) });
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.json();
  };

  async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 15_000) {
    const until = Date.now() + timeoutMs;
    while (!(await probe())) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  beforeAll(async () => {
    if (!existsSync(join(builtUiDir(), 'index.html'))) {
      throw new Error(`the web UI is not built (${builtUiDir()}): run \`npm run build\` first`);
    }
    [idp, fake] = await Promise.all([startOidcProvider(), startFakeCognigy({ https: true })]);
    t = await createTestApp(
      {
        OUTBOUND_ALLOWLIST: '127.0.0.1',
        FORWARDING_POLL_MS: '50',
        FORWARDING_BACKOFF_BASE_MS: '20',
        FORWARDING_BACKOFF_MAX_MS: '100',
      },
      'web-ui',
      { outbound: loopbackFetch() },
    );
    t.container.forwarder.start();
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });

    // A tenant with two orgs; contoso's Cognigy target is the fake.
    const tenant = await createTenant(t.app, 'acme-msp');
    const admin = tenant.adminKey;
    keys.admin = { id: tenant.adminKeyId, token: admin };
    const contoso = await api('POST', '/v1/orgs', admin, {
      slug: 'contoso',
      name: 'Contoso Ltd',
      labels: { env: 'prod', region: 'eu' },
    });
    await api('POST', '/v1/orgs', admin, {
      slug: 'fabrikam',
      name: 'Fabrikam Inc',
      labels: { env: 'staging', region: 'us' },
    });
    fake.addKey(COGNIGY_API_KEY, contoso.id);
    await api('PUT', `/v1/orgs/contoso/cognigy`, admin, {
      apiBase: fake.apiBase,
      apiKey: COGNIGY_API_KEY,
      organisationId: '64f0c1a2b3c4d5e6f7a8b9c0',
    });
    const issue = async (name: string, roles: string[]) => {
      const issued = await api('POST', '/v1/api-keys', admin, { name, roles });
      return { id: issued.apiKey.id as string, token: issued.token as string };
    };
    keys.author = await issue('Dana (ops editor)', ['editor', 'approver', 'auditor']);
    keys.approver = await issue('Sam (approver)', ['approver']);
    keys.reviewer = await issue('Riley (security review)', ['approver', 'auditor']);

    // v1: SAML, approved and forwarded (Cognigy's first answer is a 503; the retry succeeds).
    const saml = samlMaterial();
    const samlV1 = {
      kind: 'saml',
      idpIssuer: 'urn:contoso:idp',
      idpLoginEndpoint: 'https://login.contoso.example/saml/sso',
      idpCertificate: saml.certificatePem,
      decryptionPrivateKey: saml.privateKeyPem,
    };
    await api('POST', '/v1/orgs/contoso/sso/versions', keys.author.token, {
      ...samlV1,
      baseVersion: 0,
      note: 'SAML with the corporate IdP',
    });
    fake.queueFaults({ kind: 'status', status: 503 });
    await api('POST', '/v1/orgs/contoso/sso/versions/1/approve', keys.approver.token, {
      comment: 'Looks right',
    });
    await waitFor(
      'v1 applied',
      async () => (await api('GET', '/v1/orgs/contoso/sso', admin)).applied?.number === 1,
    );
    // v2: OIDC, validated against a real OIDC provider, approved; Cognigy refuses its loopback issuer.
    await api('POST', '/v1/orgs/contoso/sso/versions', keys.author.token, {
      kind: 'oidc',
      baseVersion: 1,
      note: 'Try OIDC against the lab IdP',
      idpIssuer: idp.issuer,
      idpClientId: CLIENT_ID,
      idpClientSecret: CLIENT_SECRET,
    });
    await api('POST', '/v1/orgs/contoso/sso/versions/2/approve', keys.approver.token, {});
    await waitFor(
      'v2 refused',
      async () => (await api('GET', '/v1/orgs/contoso/sso', admin)).lastError?.number === 2,
    );
    // v3: back to SAML with a new login endpoint and a new decryption key, awaiting review.
    await api('POST', '/v1/orgs/contoso/sso/versions', keys.author.token, {
      ...samlV1,
      baseVersion: 2,
      idpLoginEndpoint: 'https://login.contoso.example/saml2/sso',
      decryptionPrivateKey: NEW_DECRYPTION_KEY,
      note: 'Back to SAML: new SSO endpoint, rotated decryption key',
    });
    // Enough audit events for more than one page (50), so that scrolling loads the next.
    for (let i = 0; i < 45; i += 1) {
      await api('PATCH', '/v1/orgs/fabrikam', admin, {
        labels: { env: 'staging', region: 'us', touched: String(i) },
      });
    }
    // fabrikam: SAML with an IdP certificate that runs out in 20 days, approved; fabrikam has no
    // Cognigy target, so its deployment fails for good. Nothing is checked yet: the test's "Check now"
    // turns both into findings.
    await api('POST', '/v1/orgs/fabrikam/sso/versions', keys.author.token, {
      kind: 'saml',
      baseVersion: 0,
      note: 'SAML; the IdP certificate runs out in 20 days',
      idpIssuer: 'urn:fabrikam:idp',
      idpLoginEndpoint: 'https://login.fabrikam.example/saml/sso',
      idpCertificate: certificateExpiringIn(20),
    });
    await api('POST', '/v1/orgs/fabrikam/sso/versions/1/approve', keys.approver.token, {});
    await waitFor(
      'fabrikam v1 failed',
      async () => (await api('GET', '/v1/orgs/fabrikam/sso', admin)).lastError?.number === 1,
    );

    // A webhook endpoint with one delivery waiting (no worker runs here); its signing secret must
    // never reach the browser either.
    const hook = await api('POST', '/v1/webhooks', admin, {
      url: 'https://hooks.example.invalid/e2e',
      description: 'on-call tool',
      eventTypes: ['deployment.failed', 'finding.opened'],
    });
    SECRETS.push(hook.secret);
    await api('POST', `/v1/webhooks/${hook.webhook.id}/test`, admin);

    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await fake?.close();
    await idp?.close();
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: 1366, height: 860 },
      acceptDownloads: true,
    });
    const page = await context.newPage();
    await watchPage(page, record);
    return page;
  }

  /** Screenshot and axe check of the view on screen. */
  const capture = (page: Page, view: string) => captureView(page, view, axeResults);

  async function signIn(page: Page, token: string) {
    await page.goto(`${base}/ui/`);
    await page.getByLabel('API key').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    try {
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
    } catch (error) {
      // Seen once in a run (not reproduced since): say what the page showed instead.
      const shown = await page
        .locator('body')
        .innerText()
        .catch(() => '(unreadable)');
      throw new Error(
        `not signed in at ${page.url()}; the page shows: ${shown.slice(0, 1500)}; page problems: ${pageProblems.join(' | ') || 'none'}`,
        { cause: error },
      );
    }
  }

  test('sign in, org, timeline, deployment, diff, review as a second key, audit, export, verify, findings', async () => {
    const started = Date.now();
    const page = await newPage();

    // Sign-in: a wrong key is refused, the right one is kept in sessionStorage only.
    await page.goto(`${base}/ui`);
    await page.getByRole('heading', { name: 'SSO configuration' }).waitFor();
    await capture(page, '01-sign-in');
    await page.getByLabel('API key').fill('csso_wrongwrongwr_not-a-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'not valid' }).waitFor();
    await signIn(page, keys.author.token);
    expect(await page.evaluate('Object.values(sessionStorage)')).toEqual([keys.author.token]);
    expect(await page.context().cookies()).toEqual([]);

    // Orgs list: search and labels.
    await page.getByRole('link', { name: 'Contoso Ltd' }).waitFor();
    await expect.poll(() => page.getByText('region=us').count()).toBe(1);
    await capture(page, '02-orgs');
    await page.getByLabel('With label').fill('env=prod');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.getByRole('link', { name: 'Fabrikam Inc' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Contoso Ltd' }).click();

    // The org: state (v2 desired, v1 applied, Cognigy's refusal of v2), timeline, deployments.
    await page.getByRole('heading', { name: 'Contoso Ltd', level: 1 }).waitFor();
    const timeline = page.getByRole('table', { name: 'Versions, newest first' });
    await expect.poll(() => timeline.getByRole('row').count()).toBe(4);
    const rows = await timeline.getByRole('row').allInnerTexts();
    expect(rows[1]).toMatch(
      /^v3\s+saml\s+draft\s+(pass|warning)\s+Dana \(ops editor\).*rotated decryption key/s,
    );
    expect(rows[2]).toMatch(/^v2\s+oidc\s+approved\s+by Sam \(approver\)\s+warning\s+Dana/s);
    expect(rows[3]).toMatch(/^v1\s+saml\s+approved\s+by Sam \(approver\)\s+(pass|warning)\s+Dana/s);
    const state = await page.getByRole('region', { name: 'SSO state' }).innerText();
    expect(state).toMatch(/Desired \(latest approved\)\s+v2 \(oidc\), approved by Sam/);
    expect(state).toMatch(/Applied at Cognigy\s+v1/);
    expect(state).toMatch(/Drafts awaiting review\s+v3/);
    expect(state).toMatch(/Last error\s+v2 .*idpIssuer must match format "url"/);
    await page.getByRole('link', { name: /deployment of v1/ }).waitFor();
    await capture(page, '03-org');

    // A deployment's attempts: Cognigy's 503 (with its traceId and detail) and the retry that succeeded.
    await page.getByRole('link', { name: /deployment of v1/ }).click();
    await page.getByRole('heading', { name: 'Deployment of v1' }).waitFor();
    const attempts = page.getByRole('table', { name: 'Calls to Cognigy, oldest first' });
    await expect.poll(() => attempts.getByRole('row').count()).toBe(3);
    const attemptRows = await attempts.getByRole('row').allInnerTexts();
    expect(attemptRows[1]).toMatch(/retryable\s+503\s+\d+ ms\s+api--[0-9a-f-]{36}.*Injected HTTP 503/s);
    expect(attemptRows[2]).toMatch(/success\s+200\s+\d+ ms/);
    await capture(page, '04-deployment');
    await page.goBack();

    // Diff v3 against v1, side by side: the endpoint and the decryption key changed (fingerprints).
    await page.getByLabel('Version', { exact: true }).selectOption('3');
    await page.getByLabel('Compared with').selectOption('1');
    await page.getByRole('button', { name: 'Compare' }).click();
    await page.getByRole('heading', { name: 'v3 compared with v1' }).waitFor();
    const diff = page.getByRole('table', { name: /Fields of v1 and v3/ });
    expect(await diff.getByRole('row', { name: /decryptionPrivateKey/ }).innerText()).toMatch(
      /decryptionPrivateKey changed\s+hmac-sha256:\w+ changed in v1\s+hmac-sha256:\w+ changed in v3/,
    );
    expect(await diff.getByRole('row', { name: /idpLoginEndpoint/ }).innerText()).toMatch(
      /changed\s+https:\/\/login\.contoso\.example\/saml\/sso\s+https:\/\/login\.contoso\.example\/saml2\/sso/,
    );
    expect(await diff.getByRole('row', { name: /idpIssuer/ }).innerText()).not.toContain('changed');
    await page
      .getByRole('region', { name: 'What changed' })
      .getByText(/decryptionPrivateKey/)
      .first()
      .waitFor();
    await capture(page, '05-diff');

    // The version: the validation checklist, and why its author cannot approve it.
    await page.getByRole('link', { name: 'v3', exact: true }).click();
    await page.getByRole('heading', { name: 'Version 3 of contoso' }).waitFor();
    const checklist = page.getByRole('region', { name: 'Validation report' });
    await checklist.getByText('saml_certificate').waitFor();
    expect(await checklist.getByRole('listitem').count()).toBeGreaterThanOrEqual(2);
    const approve = page.getByRole('button', { name: 'Approve v3' });
    expect(await approve.isDisabled()).toBe(true);
    await page
      .getByText('You created version 3; another approver must approve it (four-eyes rule).')
      .waitFor();
    expect(await approve.getAttribute('aria-describedby')).toBe('approve-why');
    await capture(page, '06-version');

    // Sign out: the key is gone from the tab.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);

    // A second key approves v3 from the version view; it is forwarded.
    await signIn(page, keys.reviewer.token);
    await page.goto(`${base}/ui/#/orgs/contoso/versions/3`);
    await page.getByRole('heading', { name: 'Version 3 of contoso' }).waitFor();
    await page.getByLabel('Comment').fill('New endpoint and key agreed with the IdP team');
    await page.getByRole('button', { name: 'Approve v3' }).click();
    await page.getByRole('status').filter({ hasText: 'Version 3 approved.' }).waitFor();
    await page.getByText('New endpoint and key agreed with the IdP team').waitFor();
    await waitFor(
      'v3 applied',
      async () => (await api('GET', '/v1/orgs/contoso/sso', keys.admin.token)).applied?.number === 3,
    );

    // The audit trail shows the approval by the second key, and scrolling loads older pages.
    await page.getByRole('link', { name: 'Audit trail' }).click();
    const trail = page.getByRole('table', { name: 'Audit events, newest first' });
    await trail
      .getByRole('row', { name: /sso_version\.approved/ })
      .first()
      .waitFor();
    expect(
      await trail
        .getByRole('row', { name: /sso_version\.approved/ })
        .first()
        .innerText(),
    ).toMatch(/Riley \(security review\)\s+sso_version\.approved/);
    expect(await trail.getByRole('row').count()).toBe(51);
    await page.getByRole('button', { name: 'Show more events' }).scrollIntoViewIfNeeded();
    await expect.poll(() => trail.getByRole('row').count()).toBeGreaterThan(51);
    await page.getByText('none older matches').waitFor();
    expect(await trail.getByRole('row', { name: /tenant\.created/ }).count()).toBe(1);

    // Filters: one org, one action prefix.
    const expected = (
      await api('GET', '/v1/audit-events?org=contoso&action=sso_version.&limit=200', keys.admin.token)
    ).items as Array<{ action: string; seq: number }>;
    expect(expected.map((e) => e.action)).toContain('sso_version.approved');
    await page.getByLabel('Organisation').selectOption('contoso');
    await page.getByLabel('Action or prefix').fill('sso_version.');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => trail.getByRole('row').count()).toBe(expected.length + 1);
    expect(page.url()).toContain('#/audit?org=contoso&action=sso_version.');

    // Export (fetched with the key, saved from a Blob) and verify.
    const exported: Record<string, string> = {};
    for (const format of ['NDJSON', 'CSV']) {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: `Export ${format}` }).click(),
      ]);
      exported[format] = await readFile(await download.path(), 'utf8');
      expect(download.suggestedFilename()).toMatch(new RegExp(`^audit-.*\\.${format.toLowerCase()}$`));
    }
    const lines = (exported.NDJSON ?? '')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((e) => e.seq)).toEqual(expected.map((e) => e.seq).reverse());
    expect(exported.CSV?.split('\n')[0]).toMatch(/^chain,seq,id,tenantId,occurredAt/);
    await page
      .getByRole('status')
      .filter({ hasText: /Saved audit-.*\.csv/ })
      .waitFor();
    await page.getByRole('button', { name: 'Verify chain' }).click();
    await page.getByRole('status').filter({ hasText: 'chain intact' }).waitFor();
    expect(await page.getByRole('status').filter({ hasText: 'chain intact' }).innerText()).toMatch(
      /\d+ events recomputed, every hash and link matches/,
    );
    await page.evaluate('window.scrollTo(0, 0)');
    await capture(page, '07-audit');

    // The exports themselves are in the trail now.
    await page.getByLabel('Action or prefix').fill('audit.');
    await page.getByLabel('Organisation').selectOption('');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => trail.getByRole('row', { name: /audit\.exported/ }).count()).toBe(2);

    // Attention: nothing checked yet, so nothing needs attention.
    await page.getByRole('link', { name: 'Attention' }).click();
    await page.getByRole('heading', { name: 'Attention', level: 1 }).waitFor();
    await page.getByText('Nothing needs attention: the watch has no open finding').waitFor();

    // fabrikam's org page: "Check now" finds the failed delivery (critical) and the certificate
    // running out (warning), most severe first.
    await page.getByRole('link', { name: 'Organisations' }).click();
    await page.getByRole('link', { name: 'Fabrikam Inc' }).click();
    await page.getByRole('heading', { name: 'Fabrikam Inc', level: 1 }).waitFor();
    const orgFindings = page.getByRole('region', { name: 'Findings' });
    await orgFindings.getByText('No open finding: nothing needs attention.').waitFor();
    await orgFindings.getByRole('button', { name: 'Check now' }).click();
    await orgFindings
      .getByRole('status')
      .filter({ hasText: 'Checked: 2 opened, 0 changed, 0 resolved' })
      .waitFor();
    const openList = orgFindings.getByRole('list', { name: 'Open findings, most severe first' });
    await expect
      .poll(() => openList.getByRole('heading', { level: 3 }).allTextContents())
      .toEqual([
        'Severity: critical Delivery to Cognigy failed',
        'Severity: warning SAML certificate expiry',
      ]);
    expect(await openList.getByRole('listitem').nth(1).innerText()).toMatch(
      /SAML signing certificate of version 1 expires on \S+, in 20 days\.\s+Suggested action: Get the IdP’s new certificate/,
    );
    await capture(page, '08-org-findings');

    // Attention: both, with the org; the certificate's evidence opens as JSON; a severity filter.
    await page.getByRole('link', { name: 'Attention' }).click();
    const attention = page.getByRole('list', { name: 'Open findings, most severe first' });
    await expect
      .poll(() => attention.getByRole('heading', { level: 2 }).allTextContents())
      .toEqual([
        'Severity: critical Delivery to Cognigy failed in fabrikam',
        'Severity: warning SAML certificate expiry in fabrikam',
      ]);
    const certificate = attention.getByRole('listitem').filter({ hasText: 'SAML certificate expiry' });
    await certificate.getByText('Evidence').click();
    const evidence = JSON.parse(await certificate.locator('pre').innerText());
    expect(evidence).toMatchObject({ version: 1, stage: '30d', subjectName: 'CN=idp.e2e' });
    await page.getByText('2 open findings shown: that is all.').waitFor();
    await capture(page, '09-attention');
    await page.getByLabel('Severity').selectOption('warning');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => attention.getByRole('listitem').count()).toBe(1);
    expect(page.url()).toContain('#/attention?severity=warning');
    await page.getByLabel('Kind').selectOption('delivery_stuck');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('Nothing needs attention: no open finding matches these filters.').waitFor();
    await page.goBack();
    await attention.getByRole('link', { name: 'fabrikam' }).click();
    await page.getByRole('heading', { name: 'Fabrikam Inc', level: 1 }).waitFor();

    // Webhooks: the reviewer (an auditor) reads the endpoints and their deliveries; sending needs an admin.
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'https://hooks.example.invalid/e2e' }).click();
    await page.getByRole('heading', { name: 'https://hooks.example.invalid/e2e', level: 1 }).waitFor();
    const hookDeliveries = page.getByRole('region', { name: 'Recent deliveries' });
    await hookDeliveries.getByText('webhook.test').waitFor();
    expect(await page.getByRole('button', { name: 'Send a test event' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Send a test event' }).getAttribute('title')).toMatch(
      /admin role/,
    );
    await capture(page, '10-webhooks');

    // No secret reached the browser, no key in any address, nothing the page complained about.
    const received = await Promise.all(bodies);
    expect(received.length).toBeGreaterThan(30);
    for (const secret of SECRETS) {
      for (const body of [...received, ...Object.values(exported)]) expect(body).not.toContain(secret);
    }
    for (const url of visitedUrls) {
      for (const key of Object.values(keys)) expect(url).not.toContain(key.token);
    }
    expect(pageProblems.filter((p) => !p.includes('401'))).toEqual([]);
    console.info(
      `web UI e2e: ${Date.now() - started} ms in the browser, ${received.length} responses checked, axe: ${axeSummary(axeResults)}`,
    );
  }, 120_000);
});
