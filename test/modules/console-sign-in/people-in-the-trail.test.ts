/**
 * People in the trail (issue 20): the story of a version told by the audit trail — who signed in,
 * drafted, tried to approve their own draft in another session, approved, signed out — each event
 * naming the person (issuer, subject, email, name, the session's roles); a search by actor finds a
 * person's events; a key made in a session records its person; the chain verifies online and,
 * exported, offline with events of keys and of people in it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, expectProblem } from '../../support/app.js';
import { signIn } from '../../support/console-idp.js';
import { type ConsoleWorld, createConsoleWorld } from './console-world.js';

let w: ConsoleWorld;

beforeAll(async () => {
  w = await createConsoleWorld('console-people');
}, 60_000);
afterAll(async () => w?.close());

const ORIGIN = 'http://localhost:3000';

/** A browser tab of `account`: its cookie, its CSRF token, and calls made with both. */
async function tab(account: string) {
  const out = await signIn(w.t.app, w.idp, w.tenant.slug, account);
  const cookie = out.cookie as string;
  const session = (await w.t.app.inject({ method: 'GET', url: '/v1/session', headers: { cookie } })).json();
  const call = (method: string, url: string, payload?: object) =>
    w.t.app.inject({
      method: method as 'GET',
      url,
      headers: { cookie, ...(method === 'GET' ? {} : { origin: ORIGIN, 'x-csrf-token': session.csrfToken }) },
      ...(payload ? { payload } : {}),
    });
  return { cookie, person: session.person as { id: string; subject: string }, call };
}

type Event = {
  action: string;
  actor: { type: string; id: string; name: string; person?: Record<string, unknown> };
};

describe('the story of a version, told by the trail', () => {
  it('names the person for sign-in, draft, approval and sign-out; four eyes compares people across sessions', async () => {
    const erin = await tab('erin'); // editor and approver
    const base = `/v1/orgs/${w.org.id}/sso/versions`;
    const draft = await erin.call('POST', base, { kind: 'disabled', baseVersion: 0, note: 'by a person' });
    expect(draft.statusCode, draft.body).toBe(201);
    expect(draft.json().createdBy).toMatchObject({ id: erin.person.id, name: 'erin@example.com' });

    // the same person in another session is still the author
    const erinAgain = await tab('erin');
    expect(erinAgain.cookie).not.toBe(erin.cookie);
    expectProblem(await erinAgain.call('POST', `${base}/1/approve`, {}), 403, 'SSO_SELF_APPROVAL_FORBIDDEN');
    expectProblem(await erin.call('POST', `${base}/1/approve`, {}), 403, 'SSO_SELF_APPROVAL_FORBIDDEN');

    // another person of the approver group approves
    const bob = await tab('bob');
    const approved = await bob.call('POST', `${base}/1/approve`, { comment: 'looks right' });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json().review).toMatchObject({ state: 'approved', selfApproved: false });

    const out = await erin.call('DELETE', '/v1/session');
    expect(out.statusCode).toBe(200);

    // a search by actor finds the person's events, each naming them
    const auditor = await tab('ada');
    const found = await auditor.call('GET', `/v1/audit-events?actor=${erin.person.id}&limit=100`);
    expect(found.statusCode, found.body).toBe(200);
    const events = found.json().items as Event[];
    const actions = events.map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining(['console_sign_in.succeeded', 'sso_version.created', 'console_sign_out']),
    );
    for (const e of events) {
      expect(e.actor).toEqual({
        type: 'person',
        id: erin.person.id,
        name: 'erin@example.com',
        person: {
          issuer: w.idp.issuer,
          subject: 'erin',
          email: 'erin@example.com',
          name: 'Erin Editor',
          roles: ['editor', 'approver'],
        },
      });
    }
    const bobs = (await auditor.call('GET', `/v1/audit-events?actor=${bob.person.id}`)).json()
      .items as Event[];
    expect(bobs.map((e) => e.action)).toContain('sso_version.approved');
    expect(bobs.find((e) => e.action === 'sso_version.approved')?.actor.person).toMatchObject({
      subject: 'bob',
      roles: ['approver'],
    });
  });

  it('records the person who creates an API key in a session', async () => {
    const alma = await tab('alma');
    const res = await alma.call('POST', '/v1/api-keys', { name: 'made by a person', roles: ['auditor'] });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().apiKey.createdById).toBe(alma.person.id);
    const keyWorks = await w.t.app.inject({
      method: 'GET',
      url: '/v1/me',
      headers: bearer(res.json().token),
    });
    expect(keyWorks.json()).toMatchObject({ keyId: res.json().apiKey.id, person: null });
    const me = (await alma.call('GET', '/v1/me')).json();
    expect(me).toMatchObject({
      id: alma.person.id,
      keyId: null,
      person: { subject: 'alma' },
      roles: ['admin'],
    });
  });

  it('verifies the chain online, and its export offline, with events of keys and of people', async () => {
    const verify = await w.t.app.inject({
      method: 'GET',
      url: '/v1/audit-events/verify',
      headers: bearer(w.tenant.adminKey),
    });
    expect(verify.json()).toMatchObject({ ok: true, firstMismatch: null });
    expect(verify.json().checked).toBeGreaterThan(10);
    const exported = await w.t.app.inject({
      method: 'GET',
      url: '/v1/audit-events/export?format=ndjson',
      headers: bearer(w.tenant.adminKey),
    });
    const lines = exported.body
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Event);
    expect(lines.some((e) => e.actor.type === 'api_key')).toBe(true);
    expect(lines.some((e) => e.actor.type === 'person' && e.actor.person)).toBe(true);
    expect(lines.filter((e) => e.actor.type !== 'person').every((e) => !('person' in e.actor))).toBe(true);
    const dir = await mkdtemp(join(tmpdir(), 'people-export-'));
    try {
      const file = join(dir, 'trail.ndjson');
      await writeFile(file, exported.body);
      const ok = spawnSync(process.execPath, ['scripts/verify-audit-export.mjs', file], { encoding: 'utf8' });
      expect(ok.status, ok.stderr).toBe(0);
      // a person's identity is covered by the hash: changing their email breaks the chain offline
      const altered = exported.body.replace('"email":"erin@example.com"', '"email":"mallory@example.com"');
      expect(altered).not.toBe(exported.body);
      await writeFile(file, altered);
      const bad = spawnSync(process.execPath, ['scripts/verify-audit-export.mjs', file], {
        encoding: 'utf8',
      });
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/MISMATCH .*\(altered\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
