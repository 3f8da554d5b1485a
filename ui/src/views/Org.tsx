import { useState } from 'preact/hooks';
import { getJson, postJson, seg } from '../api.js';
import { useCaller } from '../caller.js';
import {
  Actor,
  Badge,
  DataTable,
  ErrorNote,
  Labels,
  Loading,
  Section,
  shortId,
  Time,
} from '../components/common.js';
import { FindingList } from '../components/findings.js';
import { MoreButton } from '../components/more.js';
import { checkSummary, mayCheckNow } from '../findings.js';
import { useLoad, usePaged, useViewTitle } from '../hooks.js';
import { href, navigate } from '../router.js';
import type {
  DeploymentView,
  FindingView,
  OrgView,
  Page,
  SsoStateView,
  VersionView,
  WatchRun,
} from '../types.js';

/** One org: its Cognigy target, SSO state, findings, version timeline, a diff picker, and its deployments. */
export function Org({ org: ref }: { org: string }) {
  const org = useLoad(() => getJson<OrgView>(`/v1/orgs/${seg(ref)}`), [ref]);
  const state = useLoad(() => getJson<SsoStateView>(`/v1/orgs/${seg(ref)}/sso`), [ref]);
  const versions = usePaged(
    (cursor) => getJson<Page<VersionView>>(`/v1/orgs/${seg(ref)}/sso/versions`, { cursor, limit: 50 }),
    [ref],
  );
  const deployments = usePaged(
    (cursor) => getJson<Page<DeploymentView>>(`/v1/orgs/${seg(ref)}/deployments`, { cursor, limit: 20 }),
    [ref],
  );
  const title = org.data?.name ?? ref;
  useViewTitle(title);

  return (
    <>
      <p class="crumbs">
        <a href={href.orgs()}>Organisations</a> ›
      </p>
      <h1 tabIndex={-1}>{title}</h1>
      <ErrorNote error={org.error} />
      {org.data && <OrgFacts org={org.data} />}
      <Section title="SSO state">
        <ErrorNote error={state.error} />
        {state.data ? (
          <SsoState state={state.data} org={ref} />
        ) : (
          !state.error && <Loading what="the SSO state" />
        )}
      </Section>
      <Findings org={ref} />
      <Section title="Version timeline">
        <ErrorNote error={versions.error} />
        <Timeline org={ref} versions={versions.items} />
        {versions.loading && <Loading what="versions" />}
        {!versions.loading && versions.items.length === 0 && <p class="muted">No version yet.</p>}
        <MoreButton more={versions.more} what="versions" />
      </Section>
      {versions.items.length > 0 && (
        <Section title="Compare versions">
          <ComparePicker org={ref} numbers={versions.items.map((v) => v.number)} />
        </Section>
      )}
      <Section title="Deployments to Cognigy">
        <ErrorNote error={deployments.error} />
        <Deployments org={ref} items={deployments.items} />
        {deployments.loading && <Loading what="deployments" />}
        {!deployments.loading && deployments.items.length === 0 && (
          <p class="muted">Nothing forwarded yet.</p>
        )}
        <MoreButton more={deployments.more} what="deployments" />
      </Section>
    </>
  );
}

function OrgFacts({ org }: { org: OrgView }) {
  return (
    <dl class="facts">
      <dt>Slug</dt>
      <dd>
        <code>{org.slug}</code>
      </dd>
      <dt>Labels</dt>
      <dd>
        <Labels labels={org.labels} />
      </dd>
      <dt>Cognigy API base</dt>
      <dd>{org.cognigy ? <code>{org.cognigy.apiBase}</code> : <span class="muted">not set</span>}</dd>
      <dt>Cognigy organisation</dt>
      <dd>
        {org.cognigy?.organisationId ? (
          <code>{org.cognigy.organisationId}</code>
        ) : (
          <span class="muted">—</span>
        )}
      </dd>
      <dt>Cognigy API key</dt>
      <dd>
        {org.cognigy ? (
          org.cognigy.apiKey.set ? (
            <span>
              <code>{org.cognigy.apiKey.fingerprint}</code>{' '}
              <span class="hint">fingerprint, never the key</span>
            </span>
          ) : (
            <span class="muted">shredded</span>
          )
        ) : (
          <span class="muted">—</span>
        )}
      </dd>
      {org.archivedAt && (
        <>
          <dt>Archived</dt>
          <dd>
            <Time iso={org.archivedAt} />
          </dd>
        </>
      )}
    </dl>
  );
}

function SsoState({ state, org }: { state: SsoStateView; org: string }) {
  const link = (n: number) => <a href={href.version(org, n)}>v{n}</a>;
  return (
    <dl class="facts state">
      <dt>Desired (latest approved)</dt>
      <dd>
        {state.desired ? (
          <>
            {link(state.desired.number)} ({state.desired.kind}), approved by{' '}
            <Actor actor={state.desired.approvedBy} /> <Time iso={state.desired.approvedAt} />
          </>
        ) : (
          <span class="muted">none approved yet</span>
        )}
      </dd>
      <dt>Applied at Cognigy</dt>
      <dd>
        {state.applied ? (
          <>
            {link(state.applied.number)} <Time iso={state.applied.appliedAt} />
            {state.desired && state.applied.number === state.desired.number && (
              <>
                {' '}
                <Badge status="pass" label="in sync" />
              </>
            )}
          </>
        ) : (
          <span class="muted">nothing applied yet</span>
        )}
      </dd>
      <dt>In flight</dt>
      <dd>
        {state.inFlight ? (
          <>
            {link(state.inFlight.number)} being sent since <Time iso={state.inFlight.since} />
          </>
        ) : (
          <span class="muted">no call under way</span>
        )}
      </dd>
      <dt>Waiting to be sent</dt>
      <dd>
        {state.waiting ? (
          <>
            {link(state.waiting.number)} not before <Time iso={state.waiting.notBefore} />
          </>
        ) : (
          <span class="muted">nothing waiting</span>
        )}
      </dd>
      <dt>Drafts awaiting review</dt>
      <dd>
        {state.pendingDrafts.length > 0 ? (
          state.pendingDrafts.map((n, i) => (
            <span key={n}>
              {i > 0 && ', '}
              {link(n)}
            </span>
          ))
        ) : (
          <span class="muted">none</span>
        )}
      </dd>
      <dt>Last error</dt>
      <dd>
        {state.lastError ? (
          <span class="error-text">
            {link(state.lastError.number)} <Time iso={state.lastError.at} />: {state.lastError.detail}
          </span>
        ) : (
          <span class="muted">none</span>
        )}
      </dd>
    </dl>
  );
}

function Timeline({ org, versions }: { org: string; versions: readonly VersionView[] }) {
  if (versions.length === 0) return null;
  return (
    <DataTable
      caption="Versions, newest first"
      columns={['Version', 'Kind', 'Review', 'Validation', 'Created by', 'Created', 'Note']}
    >
      {versions.map((v) => (
        <tr key={v.id}>
          <td>
            <a href={href.version(org, v.number)}>v{v.number}</a>
          </td>
          <td>{v.kind}</td>
          <td>
            <Badge status={v.review.state} />
            {v.review.reviewedBy && (
              <span class="hint">
                {' '}
                by <Actor actor={v.review.reviewedBy} />
              </span>
            )}
          </td>
          <td>{v.validation ? <Badge status={v.validation.status} /> : <span class="muted">—</span>}</td>
          <td>
            <Actor actor={v.createdBy} />
          </td>
          <td>
            <Time iso={v.createdAt} />
          </td>
          <td>{v.note ?? <span class="muted">—</span>}</td>
        </tr>
      ))}
    </DataTable>
  );
}

function ComparePicker({ org, numbers }: { org: string; numbers: readonly number[] }) {
  const [to, setTo] = useState(String(numbers[0]));
  const [against, setAgainst] = useState(numbers.length > 1 ? String(numbers[1]) : 'live');
  return (
    <form
      class="filters"
      onSubmit={(e) => {
        e.preventDefault();
        navigate(href.diff(org, Number(to), against === 'live' ? 'live' : Number(against)));
      }}
    >
      <VersionSelect id="diff-to" label="Version" numbers={numbers} value={to} onChange={setTo} />
      <VersionSelect
        id="diff-against"
        label="Compared with"
        numbers={numbers}
        value={against}
        onChange={setAgainst}
        live
      />
      <button type="submit">Compare</button>
    </form>
  );
}

function VersionSelect(props: {
  id: string;
  label: string;
  numbers: readonly number[];
  value: string;
  onChange: (value: string) => void;
  live?: boolean;
}) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <select id={props.id} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
        {props.live && <option value="live">live (latest approved)</option>}
        {props.numbers.map((n) => (
          <option key={n} value={n}>
            v{n}
          </option>
        ))}
      </select>
    </div>
  );
}

function Deployments({ org, items }: { org: string; items: readonly DeploymentView[] }) {
  if (items.length === 0) return null;
  return (
    <DataTable
      caption="Deployments, newest first"
      columns={['Deployment', 'Version', 'State', 'Attempts', 'Created', 'Finished']}
    >
      {items.map((d) => (
        <tr key={d.id}>
          <td>
            <a href={href.deployment(org, d.id)}>
              <code>{shortId(d.id)}</code>
              <span class="visually-hidden"> (deployment of v{d.version})</span>
            </a>
          </td>
          <td>v{d.version}</td>
          <td>
            <Badge status={d.state} />
          </td>
          <td>{d.attempts}</td>
          <td>
            <Time iso={d.createdAt} />
          </td>
          <td>
            <Time iso={d.finishedAt} />
          </td>
        </tr>
      ))}
    </DataTable>
  );
}

/** The watch's findings of the org (open ones, or all), and "Check now" for the roles that may. */
function Findings({ org }: { org: string }) {
  const { me } = useCaller();
  const [withResolved, setWithResolved] = useState(false);
  const findings = usePaged(
    (cursor) =>
      getJson<Page<FindingView>>(`/v1/orgs/${seg(org)}/findings`, {
        state: withResolved ? undefined : 'open',
        cursor,
        limit: 20,
      }),
    [org, withResolved],
  );
  return (
    <Section title="Findings">
      <div class="toolbar">
        <div class="toggle">
          <input
            id="findings-resolved"
            type="checkbox"
            checked={withResolved}
            onChange={(e) => setWithResolved(e.currentTarget.checked)}
          />
          <label for="findings-resolved">Show resolved findings too</label>
        </div>
        {mayCheckNow(me.roles) && <CheckNow org={org} onChecked={findings.reload} />}
      </div>
      <ErrorNote error={findings.error} />
      <FindingList
        items={findings.items}
        label={withResolved ? 'Findings, most severe first' : 'Open findings, most severe first'}
        level={3}
        showOrg={false}
      />
      {findings.loading && <Loading what="findings" />}
      {!findings.loading && !findings.error && findings.items.length === 0 && (
        <p class="muted">
          {withResolved
            ? 'The watch has found nothing here yet.'
            : 'No open finding: nothing needs attention.'}
        </p>
      )}
      <MoreButton more={findings.more} what="findings" />
    </Section>
  );
}

/** Runs the watch's checks of the org now (POST /v1/orgs/{org}/watch/run), then shows what changed. */
function CheckNow({ org, onChecked }: { org: string; onChecked: () => void }) {
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState('');
  const [error, setError] = useState<unknown>(null);
  async function check() {
    setBusy(true);
    setError(null);
    setStatus('Checking the IdPs, certificates, secrets and delivery…');
    try {
      const run = await postJson<WatchRun>(`/v1/orgs/${seg(org)}/watch/run`, {});
      setStatus(checkSummary(run));
      onChecked();
    } catch (e) {
      setStatus('');
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  return (
    <div class="check-now">
      <button type="button" onClick={check} disabled={busy}>
        {busy ? 'Checking…' : 'Check now'}
      </button>
      <p class="status" role="status">
        {status}
      </p>
      <ErrorNote error={error} />
    </div>
  );
}
