/**
 * The webhooks page's rules (ui/src/webhooks.ts): who may read and act, an endpoint's state in words,
 * why "Send again" is disabled.
 */
import { describe, expect, test } from 'vitest';
import {
  endpointState,
  eventTypesText,
  mayManageWebhooks,
  mayReadWebhooks,
  redeliverBlocked,
} from '../../ui/src/webhooks.js';

describe('the webhooks page', () => {
  test('admins manage, auditors read, other roles neither', () => {
    expect([mayReadWebhooks(['admin']), mayManageWebhooks(['admin'])]).toEqual([true, true]);
    expect([mayReadWebhooks(['auditor']), mayManageWebhooks(['auditor'])]).toEqual([true, false]);
    expect([mayReadWebhooks(['editor', 'approver']), mayManageWebhooks(['editor', 'approver'])]).toEqual([
      false,
      false,
    ]);
  });

  test('an endpoint is enabled, failing, disabled, or disabled by the service', () => {
    expect(endpointState({ enabled: true, failingSince: null, disabledReason: null })).toEqual({
      status: 'pass',
      label: 'enabled',
    });
    expect(
      endpointState({ enabled: true, failingSince: '2026-12-06T00:00:00.000Z', disabledReason: null }).label,
    ).toBe('failing');
    expect(endpointState({ enabled: false, failingSince: null, disabledReason: null }).label).toBe(
      'disabled',
    );
    expect(endpointState({ enabled: false, failingSince: 'x', disabledReason: 'failed for 3 days' })).toEqual(
      {
        status: 'fail',
        label: 'disabled by the service',
      },
    );
  });

  test('no event type named means all events', () => {
    expect(eventTypesText([])).toBe('all events');
    expect(eventTypesText(['finding.opened', 'deployment.failed'])).toBe('finding.opened, deployment.failed');
  });

  test('"Send again" says why it cannot be pressed: role, disabled endpoint, delivery still tried', () => {
    expect(redeliverBlocked(['auditor'], { enabled: true }, { state: 'failed' })).toMatch(/admin role/);
    expect(redeliverBlocked(['admin'], { enabled: false }, { state: 'failed' })).toMatch(/disabled/);
    expect(redeliverBlocked(['admin'], { enabled: true }, { state: 'pending' })).toMatch(/still being tried/);
    expect(redeliverBlocked(['admin'], { enabled: true }, { state: 'failed' })).toBeNull();
    expect(redeliverBlocked(['admin'], { enabled: true }, { state: 'delivered' })).toBeNull();
  });
});
