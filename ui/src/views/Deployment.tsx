import { getJson, seg } from '../api.js';
import { Badge, DataTable, ErrorNote, Loading, Section, Time } from '../components/common.js';
import { useLoad, useViewTitle } from '../hooks.js';
import { href } from '../router.js';
import type { DeploymentDetail } from '../types.js';

/** One deployment and every attempt: status, duration, Cognigy traceId, error detail. */
export function Deployment({ org, id }: { org: string; id: string }) {
  const loaded = useLoad(
    () => getJson<DeploymentDetail>(`/v1/orgs/${seg(org)}/deployments/${seg(id)}`),
    [org, id],
  );
  const d = loaded.data;
  useViewTitle(d ? `Deployment of v${d.version}` : 'Deployment');

  return (
    <>
      <p class="crumbs">
        <a href={href.orgs()}>Organisations</a> › <a href={href.org(org)}>{org}</a> ›
      </p>
      <h1 tabIndex={-1}>{d ? `Deployment of v${d.version}` : 'Deployment'}</h1>
      <ErrorNote error={loaded.error} />
      {!d && !loaded.error && <Loading what="the deployment" />}
      {d && (
        <>
          <dl class="facts">
            <dt>State</dt>
            <dd>
              <Badge status={d.state} />
            </dd>
            <dt>Version</dt>
            <dd>
              <a href={href.version(org, d.version)}>v{d.version}</a>{' '}
              <code class="hint">{d.contentHash}</code>
            </dd>
            <dt>Created</dt>
            <dd>
              <Time iso={d.createdAt} />
            </dd>
            <dt>Finished</dt>
            <dd>
              <Time iso={d.finishedAt} />
            </dd>
            {d.nextAttemptAt && (
              <>
                <dt>Next attempt</dt>
                <dd>
                  <Time iso={d.nextAttemptAt} />
                </dd>
              </>
            )}
            <dt>Last error</dt>
            <dd>{d.lastError ? <ErrorDetail error={d.lastError} /> : <span class="muted">none</span>}</dd>
          </dl>
          <Section title="Attempts">
            {d.attemptLog.length === 0 ? (
              <p class="muted">No call made yet.</p>
            ) : (
              <DataTable
                caption="Calls to Cognigy, oldest first"
                columns={[
                  '#',
                  'Started',
                  'Outcome',
                  'HTTP status',
                  'Duration',
                  'Cognigy traceId',
                  'Error detail',
                ]}
              >
                {d.attemptLog.map((a) => (
                  <tr key={a.number}>
                    <td>{a.number}</td>
                    <td>
                      <Time iso={a.startedAt} />
                    </td>
                    <td>
                      <Badge status={a.outcome} />
                    </td>
                    <td>{a.httpStatus ?? <span class="muted">—</span>}</td>
                    <td>{a.durationMs} ms</td>
                    <td>{a.traceId ? <code>{a.traceId}</code> : <span class="muted">—</span>}</td>
                    <td>{a.error ? <ErrorDetail error={a.error} /> : <span class="muted">—</span>}</td>
                  </tr>
                ))}
              </DataTable>
            )}
          </Section>
        </>
      )}
    </>
  );
}

/** Cognigy's answer (detail, code) or the network failure, as a sentence; everything else folded. */
function ErrorDetail({ error }: { error: Record<string, unknown> }) {
  const sentence = error.detail ?? error.message ?? error.title;
  return (
    <span>
      {typeof sentence === 'string' ? sentence : 'Failed'}
      {error.code !== undefined && <span class="hint"> (code {String(error.code)})</span>}
      <details class="long">
        <summary>all fields</summary>
        <code class="value">{JSON.stringify(error)}</code>
      </details>
    </span>
  );
}
