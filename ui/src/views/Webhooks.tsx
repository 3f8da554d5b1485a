import { useState } from 'preact/hooks';
import { getJson, request, seg } from '../api.js';
import { useCaller } from '../caller.js';
import { Badge, DataTable, ErrorNote, Loading, Section, shortId, Time } from '../components/common.js';
import { MoreButton } from '../components/more.js';
import { useLoad, usePaged, useViewTitle } from '../hooks.js';
import { href } from '../router.js';
import type { DeliveryView, Page, Sent, WebhookView } from '../types.js';
import { endpointState, eventTypesText, mayReadWebhooks, redeliverBlocked } from '../webhooks.js';

/** The tenant's webhook endpoints (GET /v1/webhooks), for admin and auditor keys. */
export function Webhooks() {
  useViewTitle('Webhooks');
  const { me } = useCaller();
  const endpoints = usePaged(
    (cursor) => getJson<Page<WebhookView>>('/v1/webhooks', { cursor, limit: 50 }),
    [],
  );
  if (!mayReadWebhooks(me.roles)) {
    return (
      <>
        <h1 tabIndex={-1}>Webhooks</h1>
        <p class="error" role="alert">
          Webhooks need the admin or auditor role; your roles: {me.roles.join(', ')}.
        </p>
      </>
    );
  }
  return (
    <>
      <h1 tabIndex={-1}>Webhooks</h1>
      <p class="lead">
        Where this tenant's events go (drafts awaiting review, approvals, deployments, findings), signed as
        Standard Webhooks. Endpoints are added and changed through the API (<code>POST /v1/webhooks</code>),
        which shows each signing secret once.
      </p>
      <ErrorNote error={endpoints.error} />
      {endpoints.items.length > 0 && (
        <DataTable
          caption="Webhook endpoints, newest first"
          columns={['Endpoint', 'State', 'Events', 'Signing secret', 'Created']}
        >
          {endpoints.items.map((w) => {
            const state = endpointState(w);
            return (
              <tr key={w.id}>
                <td>
                  <a href={href.webhook(w.id)}>{w.url}</a>
                  {w.description && <div class="hint">{w.description}</div>}
                </td>
                <td>
                  <Badge status={state.status} label={state.label} />
                </td>
                <td>{eventTypesText(w.eventTypes)}</td>
                <td>
                  <code>{w.secret.fingerprint}</code>
                </td>
                <td>
                  <Time iso={w.createdAt} />
                </td>
              </tr>
            );
          })}
        </DataTable>
      )}
      {endpoints.loading && <Loading what="webhook endpoints" />}
      {!endpoints.loading && !endpoints.error && endpoints.items.length === 0 && (
        <p class="empty">This tenant has no webhook endpoint yet.</p>
      )}
      <MoreButton more={endpoints.more} what="endpoints" />
    </>
  );
}

/** One endpoint: its settings, a test event, and its recent deliveries with every attempt. */
export function Webhook({ id }: { id: string }) {
  const { me } = useCaller();
  const endpoint = useLoad(() => getJson<WebhookView>(`/v1/webhooks/${seg(id)}`), [id]);
  const deliveries = usePaged(
    (cursor) => getJson<Page<DeliveryView>>(`/v1/webhooks/${seg(id)}/deliveries`, { cursor, limit: 25 }),
    [id],
  );
  const [notice, setNotice] = useState<string | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const w = endpoint.data;
  useViewTitle(w ? `Webhook ${w.url}` : 'Webhook');

  async function send(path: string, what: string) {
    setActionError(null);
    setNotice(null);
    try {
      const sent = (await (await request(path, { method: 'POST' })).json()) as Sent;
      setNotice(
        `${what}: delivery ${shortId(sent.deliveryId)} of event ${shortId(sent.eventId)} is on its way.`,
      );
      deliveries.reload();
    } catch (error) {
      setActionError(error);
    }
  }

  return (
    <>
      <p class="crumbs">
        <a href={href.webhooks()}>Webhooks</a> ›
      </p>
      <h1 tabIndex={-1}>{w ? w.url : 'Webhook'}</h1>
      <ErrorNote error={endpoint.error} />
      {!w && !endpoint.error && <Loading what="the endpoint" />}
      {w && (
        <>
          <dl class="facts">
            <dt>State</dt>
            <dd>
              <Badge status={endpointState(w).status} label={endpointState(w).label} />
              {w.disabledReason && <span class="hint"> {w.disabledReason}</span>}
            </dd>
            <dt>Events</dt>
            <dd>{eventTypesText(w.eventTypes)}</dd>
            <dt>Description</dt>
            <dd>{w.description || <span class="muted">none</span>}</dd>
            <dt>Signing secret</dt>
            <dd>
              <code>{w.secret.fingerprint}</code>
              {w.secret.previousFingerprint && (
                <span class="hint">
                  {' '}
                  (the previous one, <code>{w.secret.previousFingerprint}</code>, signs too until{' '}
                  <Time iso={w.secret.previousExpiresAt} />)
                </span>
              )}
            </dd>
            <dt>Failing since</dt>
            <dd>
              <Time iso={w.failingSince} />
            </dd>
          </dl>
          <p>
            <button
              type="button"
              disabled={redeliverBlocked(me.roles, w, { state: 'delivered' }) !== null}
              title={redeliverBlocked(me.roles, w, { state: 'delivered' }) ?? undefined}
              onClick={() => send(`/v1/webhooks/${seg(w.id)}/test`, 'Test event sent')}
            >
              Send a test event
            </button>
          </p>
          {notice && (
            <p class="notice" role="status">
              {notice}
            </p>
          )}
          <ErrorNote error={actionError} />
          <Section title="Recent deliveries">
            <ErrorNote error={deliveries.error} />
            {deliveries.items.length > 0 && (
              <DataTable
                caption="Deliveries, newest first"
                columns={['Event', 'State', 'Attempts', 'Last answer', 'Next attempt', 'Created', '']}
              >
                {deliveries.items.map((d) => {
                  const blocked = redeliverBlocked(me.roles, w, d);
                  const last = d.attempts.at(-1);
                  return (
                    <tr key={d.id}>
                      <td>
                        {d.eventType} <code class="hint">{shortId(d.eventId)}</code>
                      </td>
                      <td>
                        <Badge
                          status={d.state === 'delivered' ? 'pass' : d.state === 'failed' ? 'fail' : 'warn'}
                          label={d.state}
                        />
                      </td>
                      <td>
                        {d.attempts.length === 0 ? (
                          <span class="muted">none yet</span>
                        ) : (
                          <details class="long">
                            <summary>{d.attempts.length}</summary>
                            <ol>
                              {d.attempts.map((a) => (
                                <li key={a.number}>
                                  <Time iso={a.startedAt} /> {a.outcome}
                                  {a.httpStatus !== null && ` (HTTP ${a.httpStatus})`}, {a.durationMs} ms
                                  {a.error && <span class="hint"> {a.error}</span>}
                                  {a.responseExcerpt && <code class="value">{a.responseExcerpt}</code>}
                                </li>
                              ))}
                            </ol>
                          </details>
                        )}
                      </td>
                      <td>
                        {last ? (
                          <span>
                            {last.httpStatus ?? 'no answer'}
                            {d.error && <span class="hint"> {d.error}</span>}
                          </span>
                        ) : (
                          <span class="muted">—</span>
                        )}
                      </td>
                      <td>
                        <Time iso={d.nextAttemptAt} />
                      </td>
                      <td>
                        <Time iso={d.createdAt} />
                      </td>
                      <td>
                        <button
                          type="button"
                          class="secondary"
                          disabled={blocked !== null}
                          title={blocked ?? undefined}
                          aria-label={`Send again: event ${shortId(d.eventId)}`}
                          onClick={() =>
                            send(`/v1/webhooks/${seg(w.id)}/deliveries/${seg(d.id)}/redeliver`, 'Sent again')
                          }
                        >
                          Send again
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </DataTable>
            )}
            {deliveries.loading && <Loading what="deliveries" />}
            {!deliveries.loading && !deliveries.error && deliveries.items.length === 0 && (
              <p class="empty">No delivery yet.</p>
            )}
            <MoreButton more={deliveries.more} what="deliveries" />
          </Section>
        </>
      )}
    </>
  );
}
