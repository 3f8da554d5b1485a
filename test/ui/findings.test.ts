/**
 * The UI's words for the watch's findings: every kind named, severities most severe first, "Check
 * now" offered to the roles the API lets run it, and a check's outcome as a sentence.
 */
import { describe, expect, test } from 'vitest';
import {
  FINDING_KINDS as API_KINDS,
  SEVERITIES as API_SEVERITIES,
  SEVERITY_RANK,
} from '../../src/modules/findings/finding-kinds.js';
import { checkSummary, FINDING_KINDS, KIND_LABELS, mayCheckNow, SEVERITIES } from '../../ui/src/findings.js';

describe('findings in the web UI', () => {
  test('names every kind the API knows, and no other', () => {
    expect([...FINDING_KINDS].sort()).toEqual([...API_KINDS].sort());
    for (const kind of FINDING_KINDS) expect(KIND_LABELS[kind]).toMatch(/^[A-Z]/);
  });

  test('lists the severities most severe first', () => {
    expect([...SEVERITIES].sort()).toEqual([...API_SEVERITIES].sort());
    const ranks = SEVERITIES.map((s) => SEVERITY_RANK[s]);
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
  });

  test('offers "Check now" to admins, editors and approvers, not to auditors', () => {
    expect(mayCheckNow(['admin'])).toBe(true);
    expect(mayCheckNow(['editor'])).toBe(true);
    expect(mayCheckNow(['approver', 'auditor'])).toBe(true);
    expect(mayCheckNow(['auditor'])).toBe(false);
    expect(mayCheckNow([])).toBe(false);
  });

  test("says a check's outcome in one sentence", () => {
    expect(checkSummary({ issuers: 0, opened: 1, changed: 0, resolved: 0, seen: 2 })).toBe(
      'Checked: 1 opened, 0 changed, 0 resolved, 2 still open unchanged (no IdP to fetch).',
    );
    expect(checkSummary({ issuers: 2, opened: 0, changed: 1, resolved: 1, seen: 0 })).toBe(
      'Checked: 0 opened, 1 changed, 1 resolved, 0 still open unchanged (2 IdPs fetched).',
    );
  });
});
