/**
 * What the end-to-end tests in a real browser share (test/e2e/): Debian's Chromium driven by
 * playwright-core, a record of what each page received and complained about, and a screenshot plus
 * an axe-core check (no serious or critical violation) of a view.
 *
 * Without Chromium the tests are skipped with a message (`apt-get install -y chromium`); under CI it
 * must be there (.ci/run installs it), so `chromiumOrSkip` throws instead.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { PROJECT_ROOT } from './process.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const HAS_CHROMIUM = existsSync(CHROMIUM);

/** Screenshots of the views, for people to look at (README's are copies of some). */
export const ARTIFACTS = join(PROJECT_ROOT, 'test', 'artifacts', 'ui');

/** Whether the browser is there; says why not (and fails under CI, which must run the test). */
export function chromiumOrSkip(what: string): boolean {
  if (HAS_CHROMIUM) return true;
  const message = `${what} skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`;
  if (process.env.CI) throw new Error(`${message}; CI must run it (.ci/run installs chromium)`);
  console.warn(message);
  return false;
}

/** Headless Chromium, with the screenshots' folder ready. */
export async function launchChromium(): Promise<Browser> {
  await mkdir(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, headless: true });
}

/** What the pages of a test received and complained about. */
export interface PageRecord {
  /** Every response body a page received. */
  readonly bodies: Promise<string>[];
  /** Console errors, page errors and CSP violations, each with the address of the page it came from. */
  readonly problems: string[];
  /** Every address a frame navigated to. */
  readonly visitedUrls: string[];
}

export const newPageRecord = (): PageRecord => ({ bodies: [], problems: [], visitedUrls: [] });

/** Records `page`'s responses, navigations and problems into `record`. */
export async function watchPage(page: Page, record: PageRecord): Promise<void> {
  page.on('response', (response) => {
    record.bodies.push(
      response.body().then(
        (b) => b.toString('utf8'),
        () => '',
      ),
    );
  });
  page.on('console', (message) => {
    if (message.type() === 'error') record.problems.push(`console at ${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => record.problems.push(`page error at ${page.url()}: ${error.message}`));
  page.on('framenavigated', (frame) => record.visitedUrls.push(frame.url()));
  // Runs in the browser (its DOM types are not this file's): report every CSP violation.
  await page.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (e) =>
      console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));`,
  });
}

const axeSource = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeResult {
  readonly view: string;
  readonly violations: number;
  readonly serious: string[];
}

/** Screenshot (test/artifacts/ui/<view>.png) and axe check of the view on screen; fails on a serious one. */
export async function capture(page: Page, view: string, results: AxeResult[]): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${view}.png`), fullPage: true });
  // Evaluated through the DevTools protocol, as @axe-core/playwright does: the page's CSP does not apply.
  await page.evaluate(await axeSource);
  const result = await page.evaluate<{
    violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }>;
  }>("axe.run(document, { resultTypes: ['violations'] })");
  const serious = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  results.push({ view, violations: result.violations.length, serious });
  expect(serious, `axe on ${view}`).toEqual([]);
}

export const axeSummary = (results: readonly AxeResult[]) =>
  results.map((r) => `${r.view} ${r.violations} violations (${r.serious.length} serious)`).join('; ');
