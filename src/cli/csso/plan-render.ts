/**
 * A plan as text for a person (Terraform's habit): one block per org that would change, is blocked
 * or has an error — with its field-level diff, failing checks or pointers into the file — the
 * unchanged ones counted, and a closing line of totals. Pure: the same plan renders the same text.
 */
import type { OrgResult, Plan, PlanOrg, PointerError } from './plan-types.js';

export interface RenderOptions {
  /** Where a pointer into the document is in the file (`sso.yaml:12:7`), when the file is at hand. */
  readonly locate?: (pointer: string) => string | undefined;
}

/** A value of a diff: strings quoted, absent as `(none)`, everything else as compact JSON. */
export function formatValue(value: unknown): string {
  if (value === undefined || value === null) return '(none)';
  return JSON.stringify(value);
}

function pointerLine(error: PointerError, options: RenderOptions): string {
  const where = error.pointer ? options.locate?.(error.pointer) : undefined;
  const pointer = error.pointer || '(document)';
  return `${pointer}${where ? ` (${where})` : ''}: ${error.detail}`;
}

function orgBlock(org: PlanOrg, options: RenderOptions): string[] {
  const slug = org.org.slug;
  switch (org.action) {
    case 'draft': {
      const base = org.baseVersion ? `a new version on top of v${org.baseVersion}` : 'its first version';
      const lines = [`  ~ ${slug}: draft ${base}`];
      for (const change of org.changes ?? []) {
        const secret = change.secret ? ' (secret, as fingerprints)' : '';
        lines.push(
          `      ${change.field}: ${formatValue(change.before)} → ${formatValue(change.after)}${secret}`,
        );
      }
      return lines;
    }
    case 'blocked': {
      const failing = (org.validation?.checks ?? []).filter((c) => c.status === 'fail');
      const lines = [`  ! ${slug}: blocked, its validation fails`];
      for (const check of failing)
        lines.push(`      fail ${check.name}${check.message ? `: ${check.message}` : ''}`);
      return lines;
    }
    case 'error': {
      const lines = [`  x ${slug}: error`];
      for (const error of org.errors ?? []) lines.push(`      ${pointerLine(error, options)}`);
      return lines;
    }
    default:
      return [];
  }
}

/** The plan as text, ending with its totals. */
export function renderPlan(plan: Plan, options: RenderOptions = {}): string {
  const lines: string[] = [];
  const expires = plan.expiresAt ? `, expires ${plan.expiresAt}` : '';
  lines.push(`Plan ${plan.id} (${plan.hash}${expires})`, '');
  const documentErrors = plan.errors ?? [];
  if (documentErrors.length > 0) {
    lines.push('The document has errors:');
    for (const error of documentErrors) lines.push(`  x ${pointerLine(error, options)}`);
    lines.push('');
  }
  const order = { error: 0, blocked: 1, draft: 2, noop: 3 } as const;
  const shown = plan.orgs
    .filter((org) => org.action !== 'noop')
    .sort((a, b) => order[a.action] - order[b.action] || a.org.slug.localeCompare(b.org.slug));
  for (const org of shown) lines.push(...orgBlock(org, options));
  const { noop, draft, blocked, error } = plan.totals;
  if (noop > 0) lines.push(`  = ${noop} ${noop === 1 ? 'org' : 'orgs'} unchanged`);
  if (shown.length > 0 || noop > 0) lines.push('');
  const documentTotal =
    documentErrors.length > 0
      ? `, ${documentErrors.length} document ${documentErrors.length === 1 ? 'error' : 'errors'}`
      : '';
  lines.push(
    `Plan: ${draft} to draft, ${noop} unchanged, ${blocked} blocked, ${error} with errors${documentTotal}.`,
  );
  return lines.join('\n');
}

/** True when the plan has something the person must fix: document errors, org errors, blocked orgs. */
export function planHasErrors(plan: Plan): boolean {
  return (plan.errors?.length ?? 0) > 0 || plan.totals.error > 0 || plan.totals.blocked > 0;
}

/**
 * The exit code of `csso plan`, as Terraform's: 1 when the plan has errors (or blocked orgs);
 * otherwise 0, or with `--detailed-exitcode` 2 when there are changes (drafts) and 0 when none.
 */
export function planExitCode(plan: Plan, detailed: boolean): 0 | 1 | 2 {
  if (planHasErrors(plan)) return 1;
  return detailed && plan.totals.draft > 0 ? 2 : 0;
}

function problemText(problem: OrgResult['problem'], status: number): string {
  if (!problem) return `HTTP ${status}`;
  const head = [problem.title ?? problem.code ?? `HTTP ${status}`, problem.detail].filter(Boolean).join(': ');
  const fields = (problem.errors ?? []).map((e) => `\n        ${e.pointer}: ${e.detail}`);
  return head + fields.join('');
}

/** Whether an org's apply did what was asked (its draft created; approved too when asked). */
export function resultSucceeded(result: OrgResult, approveAsked: boolean): boolean {
  return result.status < 300 && (!approveAsked || result.approved === true);
}

/** An applied plan's per-org results, and the totals. */
export function renderApplied(plan: Plan, approveAsked: boolean): string {
  const lines = [`Applied plan ${plan.id}:`];
  let created = 0;
  let approved = 0;
  let failed = 0;
  const drafts = plan.orgs
    .filter((org) => org.action === 'draft')
    .sort((a, b) => a.org.slug.localeCompare(b.org.slug));
  for (const org of drafts) {
    const result = org.result;
    if (!result) {
      failed += 1;
      lines.push(`  x ${org.org.slug}: no result`);
      continue;
    }
    if (result.status < 300) {
      created += 1;
      if (result.approved) approved += 1;
      const version = result.version ? `v${result.version} created` : 'created';
      const approval = result.approved ? ', approved' : approveAsked ? ', NOT approved' : '';
      const failedApproval = approveAsked && !result.approved;
      if (failedApproval) failed += 1;
      lines.push(
        `  ${failedApproval ? 'x' : '+'} ${org.org.slug}: ${version}${approval}` +
          (failedApproval && result.problem ? `: ${problemText(result.problem, result.status)}` : ''),
      );
    } else {
      failed += 1;
      lines.push(`  x ${org.org.slug}: ${result.status} ${problemText(result.problem, result.status)}`);
    }
  }
  lines.push('', `Apply: ${created} created, ${approved} approved, ${failed} failed.`);
  return lines.join('\n');
}

/**
 * The exit code of `csso apply`: 0 when every org of the plan is where the document wants it (each
 * draft created, and approved when asked; nothing blocked or in error), else 1.
 */
export function appliedExitCode(plan: Plan, approveAsked: boolean): 0 | 1 {
  const drafted = plan.orgs
    .filter((org) => org.action === 'draft')
    .every((org) => org.result !== undefined && resultSucceeded(org.result, approveAsked));
  return drafted && !planHasErrors(plan) ? 0 : 1;
}
