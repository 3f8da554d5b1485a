import { useState } from 'preact/hooks';
import { getJson, request, withQuery } from '../api.js';
import { useCaller } from '../caller.js';
import { Badge, DataTable, ErrorNote, Loading, shortId, Time } from '../components/common.js';
import { MoreButton } from '../components/more.js';
import { useLoad, usePaged, useViewTitle } from '../hooks.js';
import { href, navigate } from '../router.js';
import type { ApiKeyView, AuditEvent, OrgView, Page, Verification } from '../types.js';

const FILTERS = ['org', 'actor', 'action', 'from', 'to'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

const KNOWN_ACTIONS = [
  'org.',
  'api_key.',
  'tenant.',
  'cognigy_target.updated',
  'sso_version.',
  'sso_version.created',
  'sso_version.approved',
  'sso_version.rejected',
  'deployment.',
  'deployment.succeeded',
  'deployment.failed',
  'audit.exported',
  'console_login.',
  'console_sign_in.',
  'console_sign_in.succeeded',
  'console_sign_in.refused',
  'console_sign_out',
  'console_session.ended',
];

/** The person behind an event of a console session (absent for API keys and the system). */
const personOf = (actor: AuditEvent['actor']) => actor.person;

/** `YYYY-MM-DDTHH:mm` in local time (what a datetime-local input shows) ↔ an ISO instant. */
const toLocalInput = (iso: string) => {
  if (!iso) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};
const fromLocalInput = (local: string) => (local ? new Date(local).toISOString() : '');

/** The tenant's audit trail: filters, infinite scroll, export, and chain verification. */
export function Audit({ filters: params }: { filters: URLSearchParams }) {
  useViewTitle('Audit trail');
  const { me } = useCaller();
  if (!me.roles.some((r) => r === 'auditor' || r === 'admin')) {
    return (
      <>
        <h1 tabIndex={-1}>Audit trail</h1>
        <p class="why">The audit trail needs the auditor or admin role; your roles: {me.roles.join(', ')}.</p>
      </>
    );
  }
  const filters = Object.fromEntries(FILTERS.map((f) => [f, params.get(f) ?? ''])) as Filters;
  return <AuditTrail key={params.toString()} filters={filters} />;
}

function AuditTrail({ filters }: { filters: Filters }) {
  const { me } = useCaller();
  const [form, setForm] = useState(filters);
  const orgs = useLoad(() => getJson<Page<OrgView>>('/v1/orgs', { limit: 200 }), []);
  const keys = useLoad(
    () =>
      me.orgScope === null
        ? getJson<Page<ApiKeyView>>('/v1/api-keys', { limit: 200, includeRevoked: true })
        : Promise.resolve(null),
    [me.orgScope],
  );
  const events = usePaged(
    (cursor) => getJson<Page<AuditEvent>>('/v1/audit-events', { ...filters, cursor, limit: 50 }),
    FILTERS.map((f) => filters[f]),
  );
  const slugOf = new Map((orgs.data?.items ?? []).map((o) => [o.id, o.slug]));
  // The actors to pick from: the tenant's keys, the people seen in the events loaded, and the one
  // the address names (a person's id reached through a link).
  const keyIds = new Set((keys.data?.items ?? []).map((k) => k.id));
  const people = new Map<string, string>();
  for (const e of events.items) {
    if (e.actor.type === 'person' && e.actor.id) people.set(e.actor.id, e.actor.name);
  }
  if (form.actor && !keyIds.has(form.actor) && !people.has(form.actor))
    people.set(form.actor, shortId(form.actor));
  const set = (name: keyof Filters) => (e: { currentTarget: { value: string } }) =>
    setForm({ ...form, [name]: e.currentTarget.value });

  return (
    <>
      <h1 tabIndex={-1}>Audit trail</h1>
      <form
        class="filters"
        aria-label="Filter audit events"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(href.audit(form));
        }}
      >
        <div class="field">
          <label for="audit-org">Organisation</label>
          <select id="audit-org" value={form.org} onChange={set('org')}>
            <option value="">any</option>
            {(orgs.data?.items ?? []).map((o) => (
              <option key={o.id} value={o.slug}>
                {o.slug}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="audit-actor">Actor</label>
          {keys.data ? (
            <select id="audit-actor" value={form.actor} onChange={set('actor')}>
              <option value="">anyone</option>
              {keys.data.items.map((k) => (
                <option key={k.id} value={k.id}>
                  {k.name} ({k.roles.join(', ')})
                </option>
              ))}
              {[...people].map(([id, name]) => (
                <option key={id} value={id}>
                  {name} (person)
                </option>
              ))}
            </select>
          ) : (
            <input
              id="audit-actor"
              placeholder="API key or person id"
              value={form.actor}
              onInput={set('actor')}
            />
          )}
        </div>
        <div class="field">
          <label for="audit-action">Action or prefix</label>
          <input
            id="audit-action"
            list="audit-actions"
            placeholder="sso_version."
            value={form.action}
            onInput={set('action')}
          />
          <datalist id="audit-actions">
            {KNOWN_ACTIONS.map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
        </div>
        <DateField
          id="audit-from"
          label="From"
          value={form.from}
          onChange={(from) => setForm({ ...form, from })}
        />
        <DateField id="audit-to" label="Until" value={form.to} onChange={(to) => setForm({ ...form, to })} />
        <button type="submit">Apply filters</button>
      </form>
      <div class="toolbar">
        <ExportButtons filters={filters} />
        <VerifyChain />
      </div>
      <ErrorNote error={events.error} />
      <DataTable
        caption="Audit events, newest first"
        class="audit"
        columns={['Seq', 'When', 'Actor', 'Action', 'Target', 'Org', 'Outcome', 'Change']}
      >
        {events.items.map((e) => (
          <tr key={e.id}>
            <td>{e.seq}</td>
            <td>
              <Time iso={e.occurredAt} />
            </td>
            <td>
              {e.actor.type === 'system' || !e.actor.id ? (
                <span class="muted">system</span>
              ) : (
                // The name filters the trail to this actor: a person's id is found no other way.
                <a
                  href={href.audit({ ...filters, actor: e.actor.id })}
                  title={`Only events by ${e.actor.name}`}
                >
                  {e.actor.name}
                </a>
              )}
              {personOf(e.actor) && <div class="hint">person · {personOf(e.actor)?.roles.join(', ')}</div>}
            </td>
            <td>
              <code>{e.action}</code>
            </td>
            <td>
              {e.target.type} <code class="hint">{shortId(e.target.id)}</code>
            </td>
            <td>
              {e.orgId ? (
                <a href={href.org(slugOf.get(e.orgId) ?? e.orgId)}>
                  {slugOf.get(e.orgId) ?? shortId(e.orgId)}
                </a>
              ) : (
                '—'
              )}
            </td>
            <td>{e.outcome}</td>
            <td>
              <details>
                <summary>
                  diff<span class="visually-hidden"> of event {e.seq}</span>
                </summary>
                <pre>{JSON.stringify(e.diff, null, 2)}</pre>
              </details>
            </td>
          </tr>
        ))}
      </DataTable>
      {events.loading && <Loading what="audit events" />}
      {!events.loading && events.items.length === 0 && !events.error && (
        <p class="muted">No event matches.</p>
      )}
      {!events.loading && events.items.length > 0 && !events.more && (
        <p class="muted">{events.items.length} events shown: none older matches.</p>
      )}
      <MoreButton more={events.more} what="events" auto />
    </>
  );
}

/** A datetime-local input (the browser's time zone) for an ISO instant of the API. */
function DateField(props: { id: string; label: string; value: string; onChange: (iso: string) => void }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        type="datetime-local"
        value={toLocalInput(props.value)}
        onInput={(e) => props.onChange(fromLocalInput(e.currentTarget.value))}
      />
    </div>
  );
}

/** The export endpoint needs the Authorization header: fetch it, then save the body as a file. */
function ExportButtons({ filters }: { filters: Filters }) {
  const [status, setStatus] = useState('');
  const [error, setError] = useState<unknown>(null);
  async function exportAs(format: 'ndjson' | 'csv') {
    setError(null);
    setStatus(`Exporting ${format.toUpperCase()}…`);
    try {
      const response = await request(withQuery('/v1/audit-events/export', { ...filters, format }));
      const blob = await response.blob();
      const disposition = response.headers.get('content-disposition') ?? '';
      const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `audit.${format}`;
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = name;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setStatus(`Saved ${name} (${Math.max(1, Math.round(blob.size / 1024))} KB).`);
    } catch (e) {
      setStatus('');
      setError(e);
    }
  }
  return (
    <div class="export">
      <button type="button" class="secondary" onClick={() => exportAs('ndjson')}>
        Export NDJSON
      </button>{' '}
      <button type="button" class="secondary" onClick={() => exportAs('csv')}>
        Export CSV
      </button>
      <p class="status" role="status">
        {status}
      </p>
      <ErrorNote error={error} />
    </div>
  );
}

function VerifyChain() {
  const [result, setResult] = useState<Verification | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  async function verify() {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      setResult(await getJson<Verification>('/v1/audit-events/verify'));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  return (
    <div class="verify">
      <button type="button" onClick={verify} disabled={busy}>
        {busy ? 'Verifying…' : 'Verify chain'}
      </button>
      <div role="status" class="status">
        {result?.ok && (
          <p>
            <Badge status="pass" label="chain intact" /> {result.checked} events recomputed, every hash and
            link matches (
            <Time iso={result.verifiedAt} />
            ).
          </p>
        )}
        {result && !result.ok && (
          <p class="error-text">
            <Badge status="fail" label="chain broken" /> at event {result.firstMismatch?.seq} (
            {result.firstMismatch?.reason}
            ): {result.firstMismatch?.detail}
          </p>
        )}
      </div>
      <ErrorNote error={error} />
    </div>
  );
}
