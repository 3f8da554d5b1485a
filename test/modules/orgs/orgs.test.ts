/**
 * Orgs (§2, §3.2): create, list, get, change, archive, and the Cognigy target with its write-only
 * API key.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  bearer,
  createOrg,
  createTenant,
  createTestApp,
  expectProblem,
  type TenantFixture,
  type TestApp,
} from '../../support/app.js';
import { snapshotDatabase } from '../../support/db-snapshot.js';

let t: TestApp;
let tenant: TenantFixture;
let counter = 0;
/** A slug no other test uses. */
const unique = (base: string) => {
  counter += 1;
  return `${base}-${counter}`;
};

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

function call(
  method: Method,
  url: string,
  options: { key?: string; payload?: object; headers?: Record<string, string> } = {},
): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method,
    url,
    headers: { ...bearer(options.key ?? tenant.adminKey), ...options.headers },
    ...(options.payload ? { payload: options.payload } : {}),
  });
}

interface OrgView {
  id: string;
  slug: string;
  name: string;
  labels: Record<string, string>;
  revision: number;
  createdAt: string;
  updatedAt: string;
  archivedAt: string | null;
  cognigy: null | {
    apiBase: string;
    organisationId: string | null;
    apiKey: { set: boolean; fingerprint: string };
    updatedAt: string;
  };
}

async function newOrg(slug = unique('org'), labels: Record<string, string> = {}, key = tenant.adminKey) {
  const res = await call('POST', '/v1/orgs', { key, payload: { slug, name: `Org ${slug}`, labels } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as OrgView;
}

async function getOrg(ref: string, key = tenant.adminKey) {
  const res = await call('GET', `/v1/orgs/${ref}`, { key });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as OrgView;
}

const COGNIGY = 'https://api-trial.cognigy.ai/new';

beforeAll(async () => {
  t = await createTestApp({}, 'orgs');
  tenant = await createTenant(t.app);
});

afterAll(async () => {
  await t?.close();
});

describe('creating an org', () => {
  test('answers 201 with the org, its Location and ETag "1"', async () => {
    const res = await call('POST', '/v1/orgs', {
      payload: { slug: 'acme-eu', name: '  Acme Europe  ', labels: { env: 'prod', region: 'eu' } },
    });
    expect(res.statusCode).toBe(201);
    const org = res.json() as OrgView;
    expect(org).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      slug: 'acme-eu',
      name: 'Acme Europe',
      labels: { env: 'prod', region: 'eu' },
      revision: 1,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      archivedAt: null,
      cognigy: null,
    });
    expect(res.headers.location).toBe(`/v1/orgs/${org.id}`);
    expect(res.headers.etag).toBe('"1"');
    expect(await getOrg(org.id)).toEqual(org);
  });

  test('labels default to none', async () => {
    const res = await call('POST', '/v1/orgs', { payload: { slug: unique('nolabels'), name: 'No labels' } });
    expect(res.json().labels).toEqual({});
  });

  test('a slug already used by an active org of the tenant is 409 ORG_SLUG_TAKEN and creates nothing', async () => {
    const slug = unique('taken');
    await newOrg(slug);
    const before = await snapshotDatabase(t.database.pool);
    const res = await call('POST', '/v1/orgs', { payload: { slug, name: 'Second' } });
    const body = expectProblem(res, 409, 'ORG_SLUG_TAKEN');
    expect(body.errors).toEqual([{ pointer: '/body/slug', detail: expect.any(String) }]);
    expect(await snapshotDatabase(t.database.pool)).toEqual(before);
  });

  test('another tenant may use the same slug', async () => {
    const slug = unique('shared');
    const mine = await newOrg(slug);
    const other = await createTenant(t.app);
    const theirs = await newOrg(slug, {}, other.adminKey);
    expect(theirs.id).not.toBe(mine.id);
    expect((await getOrg(slug)).id).toBe(mine.id);
    expect((await getOrg(slug, other.adminKey)).id).toBe(theirs.id);
  });

  test('archiving an org frees its slug; the archived org stays readable by id', async () => {
    const slug = unique('reused');
    const first = await newOrg(slug);
    expect((await call('DELETE', `/v1/orgs/${slug}`)).statusCode).toBe(200);
    const second = await newOrg(slug);
    expect(second.id).not.toBe(first.id);
    expect((await getOrg(slug)).id).toBe(second.id);
    const archived = await getOrg(first.id);
    expect(archived.slug).toBe(slug);
    expect(archived.archivedAt).not.toBeNull();
  });
});

describe('reading an org', () => {
  test('by id and by slug give the same org and its ETag', async () => {
    const org = await newOrg(unique('lookup'), { team: 'a' });
    const byId = await call('GET', `/v1/orgs/${org.id}`);
    const bySlug = await call('GET', `/v1/orgs/${org.slug}`);
    expect(byId.json()).toEqual(org);
    expect(bySlug.json()).toEqual(org);
    expect(byId.headers.etag).toBe('"1"');
    expect(bySlug.headers.etag).toBe('"1"');
  });

  test('the id may be written in upper case', async () => {
    const org = await newOrg();
    expect((await getOrg(org.id.toUpperCase())).id).toBe(org.id);
  });

  test('an org that does not exist is 404 ORG_NOT_FOUND, by id or by slug', async () => {
    expectProblem(await call('GET', '/v1/orgs/01900000-0000-7000-8000-000000000000'), 404, 'ORG_NOT_FOUND');
    expectProblem(await call('GET', '/v1/orgs/no-such-org'), 404, 'ORG_NOT_FOUND');
  });
});

describe('listing orgs', () => {
  let owner: TenantFixture;
  const orgs: Array<{ slug: string; name: string; labels: Record<string, string> }> = [
    { slug: 'delta', name: 'Delta Percent', labels: { env: 'prod', region: 'us' } },
    { slug: 'alpha', name: 'Alpha Corp', labels: { env: 'prod', region: 'eu' } },
    { slug: 'charlie', name: 'Charlie_Under', labels: { env: 'dev', region: 'eu' } },
    { slug: 'bravo', name: 'Bravo 100% Ltd', labels: { env: 'prod', region: 'eu', tier: 'gold' } },
    { slug: 'echo', name: 'ECHO underscore', labels: { env: 'test' } },
    { slug: 'foxtrot', name: 'Foxtrot back\\slash', labels: {} },
    { slug: 'golf', name: 'Golf', labels: { 'team.a/b': 'x=y' } },
  ];
  const slugs = (res: LightMyRequestResponse) => res.json().items.map((o: OrgView) => o.slug);
  const list = (query: string) => call('GET', `/v1/orgs${query}`, { key: owner.adminKey });

  beforeAll(async () => {
    owner = await createTenant(t.app);
    for (const org of orgs) {
      const res = await call('POST', '/v1/orgs', { key: owner.adminKey, payload: org });
      expect(res.statusCode, res.body).toBe(201);
    }
  });

  test('lists active orgs in slug order', async () => {
    const res = await list('');
    expect(res.statusCode).toBe(200);
    expect(slugs(res)).toEqual(['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf']);
    expect(res.json().nextCursor).toBeNull();
  });

  test('label filters must all match', async () => {
    expect(slugs(await list('?label=env=prod'))).toEqual(['alpha', 'bravo', 'delta']);
    expect(slugs(await list('?label=env=prod&label=region=eu'))).toEqual(['alpha', 'bravo']);
    expect(slugs(await list('?label=env=prod&label=region=eu&label=tier=gold'))).toEqual(['bravo']);
    expect(slugs(await list('?label=env=prod&label=region=mars'))).toEqual([]);
    expect(slugs(await list('?label=region=eu&label=env=dev'))).toEqual(['charlie']);
  });

  test('a label value may contain "=" and keys may contain . and /', async () => {
    expect(slugs(await list(`?label=${encodeURIComponent('team.a/b=x=y')}`))).toEqual(['golf']);
  });

  test('q matches name and slug case-insensitively', async () => {
    expect(slugs(await list('?q=ALPHA'))).toEqual(['alpha']);
    expect(slugs(await list('?q=corp'))).toEqual(['alpha']);
    expect(slugs(await list('?q=echo'))).toEqual(['echo']);
    expect(slugs(await list('?q=rav'))).toEqual(['bravo']);
  });

  test('q treats % _ and \\ literally', async () => {
    expect(slugs(await list(`?q=${encodeURIComponent('%')}`))).toEqual(['bravo']);
    expect(slugs(await list(`?q=${encodeURIComponent('100%')}`))).toEqual(['bravo']);
    expect(slugs(await list('?q=_'))).toEqual(['charlie']);
    expect(slugs(await list(`?q=${encodeURIComponent('\\')}`))).toEqual(['foxtrot']);
    expect(slugs(await list(`?q=${encodeURIComponent('%_')}`))).toEqual([]);
  });

  test('q and labels combine', async () => {
    expect(slugs(await list('?q=e&label=region=eu'))).toEqual(['charlie']);
  });

  test('archived=true lists only archived orgs, and the default list leaves them out', async () => {
    const gone = await newOrg('zulu-archived', {}, owner.adminKey);
    await call('DELETE', `/v1/orgs/${gone.id}`, { key: owner.adminKey });
    expect(slugs(await list('?archived=true'))).toEqual(['zulu-archived']);
    expect(slugs(await list(''))).not.toContain('zulu-archived');
    expect(slugs(await list('?archived=false'))).not.toContain('zulu-archived');
  });

  test('cursor pagination with limit=2 walks every org exactly once in slug order and ends with nextCursor null', async () => {
    const all = slugs(await list('?limit=200'));
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await list(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode).toBe(200);
      const page = slugs(res);
      expect(page.length).toBeLessThanOrEqual(2);
      expect(page.length).toBeGreaterThan(0);
      seen.push(...page);
      cursor = res.json().nextCursor;
      pages += 1;
    } while (cursor && pages < 20);
    expect(cursor).toBeNull();
    expect(seen).toEqual(all);
    expect(pages).toBe(Math.ceil(all.length / 2));
  });

  test('a page that ends exactly at the last org has nextCursor null', async () => {
    const res = await list('?label=env=prod&limit=3');
    expect(slugs(res)).toEqual(['alpha', 'bravo', 'delta']);
    expect(res.json().nextCursor).toBeNull();
  });

  test('pagination keeps the filters and the order', async () => {
    const first = await list('?label=env=prod&limit=2');
    expect(slugs(first)).toEqual(['alpha', 'bravo']);
    const second = await list(`?label=env=prod&limit=2&cursor=${first.json().nextCursor}`);
    expect(slugs(second)).toEqual(['delta']);
    expect(second.json().nextCursor).toBeNull();
  });

  test('an org created before the cursor does not shift the next page', async () => {
    const first = await list('?limit=3');
    expect(slugs(first)).toEqual(['alpha', 'bravo', 'charlie']);
    await newOrg('aardvark', {}, owner.adminKey);
    const second = await list(`?limit=3&cursor=${first.json().nextCursor}`);
    expect(slugs(second)).toEqual(['delta', 'echo', 'foxtrot']);
  });
});

describe('changing an org', () => {
  test('PATCH changes slug, name and labels, bumps the revision and the ETag', async () => {
    const org = await newOrg();
    const slug = unique('renamed');
    const res = await call('PATCH', `/v1/orgs/${org.id}`, {
      headers: { 'if-match': '"1"' },
      payload: { slug, name: ' New name ', labels: { a: 'b' } },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers.etag).toBe('"2"');
    const changed = res.json() as OrgView;
    expect(changed).toMatchObject({ id: org.id, slug, name: 'New name', labels: { a: 'b' }, revision: 2 });
    expect(Date.parse(changed.updatedAt)).toBeGreaterThanOrEqual(Date.parse(org.updatedAt));
    expect(changed.createdAt).toBe(org.createdAt);
    expect((await getOrg(slug)).id).toBe(org.id);
    expectProblem(await call('GET', `/v1/orgs/${org.slug}`), 404);
  });

  test('labels are replaced as a whole, not merged', async () => {
    const org = await newOrg(unique('labels'), { a: '1', b: '2' });
    const res = await call('PATCH', `/v1/orgs/${org.id}`, { payload: { labels: { c: '3' } } });
    expect(res.json().labels).toEqual({ c: '3' });
  });

  test('a stale If-Match is 409 ORG_REVISION_STALE with the current org, and nothing changes', async () => {
    const org = await newOrg();
    await call('PATCH', `/v1/orgs/${org.id}`, { payload: { name: 'Second' } });
    const current = await getOrg(org.id);
    const before = await snapshotDatabase(t.database.pool);
    const res = await call('PATCH', `/v1/orgs/${org.id}`, {
      headers: { 'if-match': '"1"' },
      payload: { name: 'Lost update' },
    });
    const body = expectProblem(res, 409, 'ORG_REVISION_STALE');
    expect(body.current).toEqual(current);
    expect(await snapshotDatabase(t.database.pool)).toEqual(before);
  });

  test('the revision in the body works like If-Match', async () => {
    const org = await newOrg();
    const ok = await call('PATCH', `/v1/orgs/${org.slug}`, { payload: { name: 'Next', revision: 1 } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().revision).toBe(2);
    const stale = await call('PATCH', `/v1/orgs/${org.slug}`, { payload: { name: 'Again', revision: 1 } });
    const body = expectProblem(stale, 409, 'ORG_REVISION_STALE');
    expect(body.current).toMatchObject({ name: 'Next', revision: 2 });
  });

  test('If-Match "*" and the weak form W/"n" are accepted', async () => {
    const org = await newOrg();
    const star = await call('PATCH', `/v1/orgs/${org.id}`, {
      headers: { 'if-match': '*' },
      payload: { name: 'Star' },
    });
    expect(star.statusCode).toBe(200);
    const weak = await call('PATCH', `/v1/orgs/${org.id}`, {
      headers: { 'if-match': 'W/"2"' },
      payload: { name: 'Weak' },
    });
    expect(weak.statusCode).toBe(200);
    expect(weak.json().revision).toBe(3);
  });

  test('a malformed If-Match is 400 REQUEST_IF_MATCH_INVALID', async () => {
    const org = await newOrg();
    for (const ifMatch of ['1', 'abc', '"one"', '"1", "2"']) {
      const res = await call('PATCH', `/v1/orgs/${org.id}`, {
        headers: { 'if-match': ifMatch },
        payload: { name: 'X' },
      });
      expectProblem(res, 400, 'REQUEST_IF_MATCH_INVALID');
    }
    expect((await getOrg(org.id)).revision).toBe(1);
  });

  test('renaming to a slug used by another active org is 409 ORG_SLUG_TAKEN; to an archived one is fine', async () => {
    const a = await newOrg();
    const b = await newOrg();
    expectProblem(
      await call('PATCH', `/v1/orgs/${b.id}`, { payload: { slug: a.slug } }),
      409,
      'ORG_SLUG_TAKEN',
    );
    await call('DELETE', `/v1/orgs/${a.id}`);
    const res = await call('PATCH', `/v1/orgs/${b.id}`, { payload: { slug: a.slug } });
    expect(res.statusCode).toBe(200);
    expect((await getOrg(a.slug)).id).toBe(b.id);
  });

  test('keeping its own slug is not a clash', async () => {
    const org = await newOrg();
    const res = await call('PATCH', `/v1/orgs/${org.id}`, { payload: { slug: org.slug, name: 'Same slug' } });
    expect(res.statusCode).toBe(200);
  });

  test('two concurrent changes with the same If-Match: one wins, the other is 409', async () => {
    const org = await newOrg();
    const results = await Promise.all(
      ['One', 'Two', 'Three'].map((name) =>
        call('PATCH', `/v1/orgs/${org.id}`, { headers: { 'if-match': '"1"' }, payload: { name } }),
      ),
    );
    const codes = results.map((r) => r.statusCode).sort();
    expect(codes).toEqual([200, 409, 409]);
    expect((await getOrg(org.id)).revision).toBe(2);
  });
});

describe('archiving an org', () => {
  test('DELETE archives (never deletes): readable by id, gone by slug and from the list', async () => {
    const org = await newOrg();
    const res = await call('DELETE', `/v1/orgs/${org.slug}`);
    expect(res.statusCode).toBe(200);
    const archived = res.json() as OrgView;
    expect(archived.archivedAt).not.toBeNull();
    expect(archived.revision).toBe(2);
    expect(res.headers.etag).toBe('"2"');
    expect(await getOrg(org.id)).toEqual(archived);
    expectProblem(await call('GET', `/v1/orgs/${org.slug}`), 404, 'ORG_NOT_FOUND');
    const rows = await t.database.pool.query('SELECT archived_at FROM orgs WHERE id = $1', [org.id]);
    expect(rows.rows).toHaveLength(1);
  });

  test('an archived org refuses every write with 409 ORG_ARCHIVED and changes nothing', async () => {
    const org = await newOrg();
    await call('DELETE', `/v1/orgs/${org.id}`);
    const before = await snapshotDatabase(t.database.pool);
    const attempts: Array<[Method, string, object | undefined]> = [
      ['PATCH', `/v1/orgs/${org.id}`, { name: 'Revived' }],
      ['PUT', `/v1/orgs/${org.id}/cognigy`, { apiBase: COGNIGY, apiKey: 'archived-key-123' }],
      ['DELETE', `/v1/orgs/${org.id}`, undefined],
    ];
    for (const [method, url, payload] of attempts) {
      const body = expectProblem(await call(method, url, payload ? { payload } : {}), 409, 'ORG_ARCHIVED');
      expect(body.current).toMatchObject({ id: org.id, archivedAt: expect.any(String) });
    }
    expect(await snapshotDatabase(t.database.pool)).toEqual(before);
  });

  test('a stale If-Match on DELETE is 409 and the org stays active', async () => {
    const org = await newOrg();
    await call('PATCH', `/v1/orgs/${org.id}`, { payload: { name: 'Moved on' } });
    expectProblem(
      await call('DELETE', `/v1/orgs/${org.id}`, { headers: { 'if-match': '"1"' } }),
      409,
      'ORG_REVISION_STALE',
    );
    expect((await getOrg(org.id)).archivedAt).toBeNull();
    expect((await call('DELETE', `/v1/orgs/${org.id}`, { headers: { 'if-match': '"2"' } })).statusCode).toBe(
      200,
    );
  });

  test('shredSecrets=true deletes the org data key; without it the key is kept', async () => {
    const kept = await newOrg();
    const shredded = await newOrg();
    for (const org of [kept, shredded]) {
      await call('PUT', `/v1/orgs/${org.id}/cognigy`, {
        payload: { apiBase: COGNIGY, apiKey: `key-of-${org.slug}` },
      });
    }
    const dataKeys = async (orgId: string) =>
      (await t.database.pool.query('SELECT 1 FROM org_data_keys WHERE org_id = $1', [orgId])).rowCount;
    expect(await dataKeys(kept.id)).toBe(1);
    expect(await dataKeys(shredded.id)).toBe(1);
    expect((await call('DELETE', `/v1/orgs/${kept.id}`)).statusCode).toBe(200);
    expect((await call('DELETE', `/v1/orgs/${shredded.id}?shredSecrets=true`)).statusCode).toBe(200);
    expect(await dataKeys(kept.id)).toBe(1);
    expect(await dataKeys(shredded.id)).toBe(0);
    await expect(t.container.orgs.loadCognigyCredentials(tenant.id, kept.id)).resolves.toMatchObject({
      apiKey: `key-of-${kept.slug}`,
    });
    await expect(t.container.orgs.loadCognigyCredentials(tenant.id, shredded.id)).rejects.toThrow();
  });
});

describe('the Cognigy target', () => {
  const put = (ref: string, payload: object, headers: Record<string, string> = {}) =>
    call('PUT', `/v1/orgs/${ref}/cognigy`, { payload, headers });

  test('the first PUT needs apiKey (400 COGNIGY_API_KEY_REQUIRED) and stores nothing without it', async () => {
    const org = await newOrg();
    const before = await snapshotDatabase(t.database.pool);
    const body = expectProblem(await put(org.id, { apiBase: COGNIGY }), 400, 'COGNIGY_API_KEY_REQUIRED');
    expect(body.errors).toEqual([{ pointer: '/body/apiKey', detail: expect.any(String) }]);
    expect(await snapshotDatabase(t.database.pool)).toEqual(before);
    expect((await getOrg(org.id)).cognigy).toBeNull();
  });

  test('PUT stores the target, shows the key only as a fingerprint and bumps the revision', async () => {
    const org = await newOrg();
    const res = await put(org.slug, {
      apiBase: COGNIGY,
      apiKey: 'first-secret-key-1',
      organisationId: 'org_123',
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers.etag).toBe('"2"');
    const view = res.json() as OrgView;
    expect(view.revision).toBe(2);
    expect(view.cognigy).toEqual({
      apiBase: COGNIGY,
      organisationId: 'org_123',
      apiKey: { set: true, fingerprint: expect.stringMatching(/^hmac-sha256:[0-9a-f]{32}$/) },
      updatedAt: expect.any(String),
    });
    expect(await getOrg(org.id)).toEqual(view);
    await expect(t.container.orgs.loadCognigyCredentials(tenant.id, org.id)).resolves.toEqual({
      apiBase: COGNIGY,
      apiKey: 'first-secret-key-1',
      organisationId: 'org_123',
    });
  });

  test.each([
    ['https://api-trial.cognigy.ai/new/', COGNIGY],
    ['https://api-trial.cognigy.ai/new///', COGNIGY],
    ['HTTPS://API-Trial.Cognigy.AI/new', COGNIGY],
    ['https://api-trial.cognigy.ai:443/new', COGNIGY],
    ['https://api-trial.cognigy.ai/', 'https://api-trial.cognigy.ai'],
    ['https://cognigy.example.com:8443/new', 'https://cognigy.example.com:8443/new'],
  ])('apiBase %s is stored as %s', async (given, stored) => {
    const org = await newOrg();
    const res = await put(org.id, { apiBase: given, apiKey: 'normalise-key-1' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().cognigy.apiBase).toBe(stored);
  });

  test.each([
    ['plain http', 'http://api-trial.cognigy.ai/new'],
    ['credentials', 'https://user:secret@api-trial.cognigy.ai/new'],
    ['a user name only', 'https://user@api-trial.cognigy.ai/new'],
    ['a query', 'https://api-trial.cognigy.ai/new?api_key=abc'],
    ['an empty query', 'https://api-trial.cognigy.ai/new?'],
    ['a fragment', 'https://api-trial.cognigy.ai/new#frag'],
    ['no scheme', 'api-trial.cognigy.ai/new'],
    ['javascript', 'javascript:alert(1)'],
  ])('an apiBase with %s is refused with 400 COGNIGY_API_BASE_INVALID', async (_what, apiBase) => {
    const org = await newOrg();
    const body = expectProblem(
      await put(org.id, { apiBase, apiKey: 'refused-key-123' }),
      400,
      'COGNIGY_API_BASE_INVALID',
    );
    expect(body.errors).toEqual([{ pointer: '/body/apiBase', detail: expect.any(String) }]);
    expect((await getOrg(org.id)).cognigy).toBeNull();
  });

  test('http is accepted only when OUTBOUND_ALLOW_HTTP=true', async () => {
    const lax = await createTestApp({ OUTBOUND_ALLOW_HTTP: 'true' }, 'orgshttp');
    try {
      const owner = await createTenant(lax.app);
      const org = await createOrg(lax.app, owner.adminKey, 'local');
      const res = await lax.app.inject({
        method: 'PUT',
        url: `/v1/orgs/${org.id}/cognigy`,
        headers: bearer(owner.adminKey),
        payload: { apiBase: 'http://localhost:3000/new/', apiKey: 'local-key-1234' },
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().cognigy.apiBase).toBe('http://localhost:3000/new');
      const ftp = await lax.app.inject({
        method: 'PUT',
        url: `/v1/orgs/${org.id}/cognigy`,
        headers: bearer(owner.adminKey),
        payload: { apiBase: 'ftp://localhost/new', apiKey: 'local-key-1234' },
      });
      expectProblem(ftp, 400, 'COGNIGY_API_BASE_INVALID');
    } finally {
      await lax.close();
    }
  });

  test('apiKey may then be omitted: the fingerprint and the stored key stay, other fields change', async () => {
    const org = await newOrg();
    const first = (
      await put(org.id, { apiBase: COGNIGY, apiKey: 'kept-secret-key-1', organisationId: 'keep-me' })
    ).json();
    const second = await put(org.id, { apiBase: 'https://other.cognigy.example/new' });
    expect(second.statusCode, second.body).toBe(200);
    expect(second.json().cognigy).toMatchObject({
      apiBase: 'https://other.cognigy.example/new',
      organisationId: 'keep-me',
      apiKey: first.cognigy.apiKey,
    });
    await expect(t.container.orgs.loadCognigyCredentials(tenant.id, org.id)).resolves.toMatchObject({
      apiKey: 'kept-secret-key-1',
    });
    const cleared = await put(org.id, { apiBase: COGNIGY, organisationId: null });
    expect(cleared.json().cognigy.organisationId).toBeNull();
  });

  test('the fingerprint changes when the key changes, and is the same for the same key', async () => {
    const org = await newOrg();
    const fp = async (apiKey: string) =>
      (await put(org.id, { apiBase: COGNIGY, apiKey })).json().cognigy.apiKey.fingerprint;
    const a = await fp('secret-key-aaaa');
    const b = await fp('secret-key-bbbb');
    const a2 = await fp('secret-key-aaaa');
    expect(b).not.toBe(a);
    expect(a2).toBe(a);
  });

  test('fingerprints of the same key differ between tenants', async () => {
    const mine = await newOrg();
    const other = await createTenant(t.app);
    const theirs = await newOrg(unique('theirs'), {}, other.adminKey);
    const same = { apiBase: COGNIGY, apiKey: 'same-key-everywhere' };
    const a = (await put(mine.id, same)).json().cognigy.apiKey.fingerprint;
    const b = (
      await call('PUT', `/v1/orgs/${theirs.id}/cognigy`, { key: other.adminKey, payload: same })
    ).json().cognigy.apiKey.fingerprint;
    expect(a).not.toBe(b);
  });

  test('a stale If-Match on PUT is 409 and the target is unchanged', async () => {
    const org = await newOrg();
    await put(org.id, { apiBase: COGNIGY, apiKey: 'stale-test-key-1' });
    const res = await put(org.id, { apiBase: 'https://elsewhere.example/new' }, { 'if-match': '"1"' });
    const body = expectProblem(res, 409, 'ORG_REVISION_STALE');
    expect(body.current.cognigy.apiBase).toBe(COGNIGY);
    expect((await put(org.id, { apiBase: 'https://elsewhere.example/new', revision: 2 })).statusCode).toBe(
      200,
    );
  });

  test('the Cognigy API key never appears in a response, a log line or the database in plain text', async () => {
    const secret = 'cognigy-SECRET-api-key-0123456789';
    const org = await newOrg();
    const responses: LightMyRequestResponse[] = [];
    responses.push(
      await put(org.id, { apiBase: COGNIGY, apiKey: secret }, { 'idempotency-key': 'ignored-on-put' }),
    );
    responses.push(await put(org.slug, { apiBase: COGNIGY, apiKey: secret }));
    responses.push(await call('GET', `/v1/orgs/${org.id}`));
    responses.push(await call('GET', `/v1/orgs?q=${org.slug}`));
    responses.push(await call('PATCH', `/v1/orgs/${org.id}`, { payload: { name: 'Renamed' } }));
    responses.push(await call('DELETE', `/v1/orgs/${org.id}`));
    responses.push(await put(org.id, { apiBase: COGNIGY, apiKey: secret }));
    for (const res of responses) {
      expect(res.body).not.toContain(secret);
      expect(JSON.stringify(res.headers)).not.toContain(secret);
    }
    expect(t.logs.join('\n')).not.toContain(secret);
    const rows = await t.database.pool.query(
      `SELECT t::text AS row FROM cognigy_targets t WHERE org_id = $1`,
      [org.id],
    );
    expect(rows.rows).toHaveLength(1);
    expect(rows.rows[0].row).not.toContain(secret);
    expect(rows.rows[0].row).not.toContain(Buffer.from(secret).toString('base64'));
  });
});
