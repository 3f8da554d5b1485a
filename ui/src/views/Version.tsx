import { useState } from 'preact/hooks';
import { getJson, postJson, seg } from '../api.js';
import { useCaller } from '../caller.js';
import { Checks } from '../components/checks.js';
import { Actor, Badge, ErrorNote, Loading, SecretRef, Section, Time, Value } from '../components/common.js';
import { useLoad, useViewTitle } from '../hooks.js';
import { reviewRules } from '../review.js';
import { href } from '../router.js';
import type { SsoStateView, VersionView } from '../types.js';

/** One version: its content, secrets as fingerprints, the validation checklist, and its review. */
export function Version({ org, number }: { org: string; number: number }) {
  const path = `/v1/orgs/${seg(org)}/sso/versions/${number}`;
  const version = useLoad(() => getJson<VersionView>(path), [path]);
  const state = useLoad(() => getJson<SsoStateView>(`/v1/orgs/${seg(org)}/sso`), [org]);
  useViewTitle(`Version ${number} of ${org}`);
  const v = version.data;

  return (
    <>
      <p class="crumbs">
        <a href={href.orgs()}>Organisations</a> › <a href={href.org(org)}>{org}</a> ›
      </p>
      <h1 tabIndex={-1}>
        Version {number} of {org}
      </h1>
      <ErrorNote error={version.error} />
      {!v && !version.error && <Loading what="the version" />}
      {v && (
        <>
          <p class="badges">
            <Badge status={v.review.state} />{' '}
            {v.validation && (
              <Badge status={v.validation.status} label={`validation: ${v.validation.status}`} />
            )}{' '}
            <span class="links">
              {v.baseVersion !== null && v.baseVersion > 0 && (
                <a href={href.diff(org, number, v.baseVersion)}>Compare with v{v.baseVersion}</a>
              )}{' '}
              <a href={href.diff(org, number, 'live')}>Compare with live</a>
            </span>
          </p>
          <Facts v={v} />
          <Section title="Configuration">
            <Content v={v} />
          </Section>
          <Section title="Validation report">
            <Checklist v={v} />
          </Section>
          <Section title="Review">
            <Review v={v} latestApproved={state.data?.desired?.number ?? null} onChange={version.reload} />
          </Section>
        </>
      )}
    </>
  );
}

function Facts({ v }: { v: VersionView }) {
  return (
    <dl class="facts">
      <dt>Kind</dt>
      <dd>{v.kind}</dd>
      <dt>Created by</dt>
      <dd>
        <Actor actor={v.createdBy} /> <Time iso={v.createdAt} />
      </dd>
      <dt>Note</dt>
      <dd>{v.note ?? <span class="muted">—</span>}</dd>
      <dt>Based on</dt>
      <dd>{v.baseVersion ? `v${v.baseVersion}` : <span class="muted">—</span>}</dd>
      {v.rollbackOf !== null && (
        <>
          <dt>Rollback of</dt>
          <dd>v{v.rollbackOf}</dd>
        </>
      )}
      <dt>Content hash</dt>
      <dd>
        <code>{v.contentHash}</code>
      </dd>
    </dl>
  );
}

function Content({ v }: { v: VersionView }) {
  const fields = Object.entries(v.content as Record<string, unknown>);
  const secrets = Object.entries(v.secrets).filter(([, value]) => value !== null);
  if (v.kind === 'disabled') return <p>SSO disabled: forwarded to Cognigy as a reset.</p>;
  return (
    <table class="fields">
      <caption class="visually-hidden">Fields of version {v.number}</caption>
      <tbody>
        {fields.map(([name, value]) => (
          <tr key={name}>
            <th scope="row">{name}</th>
            <td>
              <Value value={value} />
            </td>
          </tr>
        ))}
        {secrets.map(([name, value]) => (
          <tr key={name}>
            <th scope="row">
              {name} <span class="hint">(secret)</span>
            </th>
            <td>
              <SecretRef value={value} version={v.number} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Checklist({ v }: { v: VersionView }) {
  const report = v.validation;
  if (!report) return <p class="muted">Not validated.</p>;
  return (
    <>
      <p>
        <Badge status={report.status} label={`Overall: ${report.status}`} /> checked{' '}
        <Time iso={report.checkedAt} /> by <Actor actor={report.checkedBy} />
      </p>
      <Checks checks={report.checks} />
    </>
  );
}

function Review({
  v,
  latestApproved,
  onChange,
}: {
  v: VersionView;
  latestApproved: number | null;
  onChange: () => void;
}) {
  const { me, tenant, session } = useCaller();
  // In a session the person is the actor (the drafts they created carry their person id).
  const actor = { id: session?.person.id ?? me.id, roles: me.roles };
  const rules = reviewRules({ version: v, me: actor, settings: tenant.settings, latestApproved });
  const [comment, setComment] = useState('');
  const [overrideReason, setOverrideReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState('');
  const path = `/v1/orgs/${seg(v.orgId)}/sso/versions/${v.number}`;

  async function act(action: 'approve' | 'reject') {
    setBusy(true);
    setError(null);
    try {
      const body =
        action === 'approve'
          ? {
              expectedHash: v.contentHash,
              ...(comment.trim() ? { comment: comment.trim() } : {}),
              ...(rules.approve.needsOverride ? { overrideReason: overrideReason.trim() } : {}),
            }
          : { comment: comment.trim() };
      const saved = await postJson<VersionView>(`${path}/${action}`, body);
      setDone(`Version ${saved.number} ${saved.review.state}.`);
      setComment('');
      onChange();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  const reviewed = v.review.state !== 'draft';
  const approveReady =
    rules.approve.allowed && (!rules.approve.needsOverride || overrideReason.trim() !== '');
  const rejectReady = rules.reject.allowed && comment.trim() !== '';
  return (
    <>
      <p class="status" role="status">
        {done}
      </p>
      {reviewed && (
        <dl class="facts">
          <dt>State</dt>
          <dd>
            <Badge status={v.review.state} />
            {v.review.selfApproved && <span class="hint"> self-approved</span>}
            {v.review.supersededBy !== null && <span class="hint"> by v{v.review.supersededBy}</span>}
          </dd>
          <dt>Reviewed by</dt>
          <dd>
            <Actor actor={v.review.reviewedBy} /> <Time iso={v.review.reviewedAt} />
          </dd>
          <dt>Comment</dt>
          <dd>{v.review.comment ?? <span class="muted">—</span>}</dd>
          {v.review.overrideReason && (
            <>
              <dt>Override reason</dt>
              <dd>{v.review.overrideReason}</dd>
            </>
          )}
        </dl>
      )}
      {!reviewed && !me.roles.includes('approver') && (
        // No approver role: no buttons to stare at, only why (the API refuses the same).
        <p id="approve-why" class="why">
          {rules.approve.reason}
        </p>
      )}
      {!reviewed && me.roles.includes('approver') && (
        <form class="stack review" onSubmit={(e) => e.preventDefault()}>
          <label for="review-comment">Comment</label>
          <textarea
            id="review-comment"
            rows={3}
            maxLength={2000}
            value={comment}
            onInput={(e) => setComment(e.currentTarget.value)}
            aria-describedby="review-comment-help"
            disabled={!rules.reject.allowed && !rules.approve.allowed}
          />
          <p id="review-comment-help" class="hint">
            Optional to approve, required to reject. Recorded in the audit trail.
          </p>
          {rules.approve.needsOverride && rules.approve.allowed && (
            <>
              <label for="review-override">Override reason (the validation failed)</label>
              <textarea
                id="review-override"
                rows={2}
                maxLength={2000}
                value={overrideReason}
                onInput={(e) => setOverrideReason(e.currentTarget.value)}
              />
            </>
          )}
          <div class="actions">
            <button
              type="button"
              disabled={busy || !approveReady}
              aria-describedby={rules.approve.reason ? 'approve-why' : undefined}
              onClick={() => act('approve')}
            >
              Approve v{v.number}
            </button>
            <button
              type="button"
              class="danger"
              disabled={busy || !rejectReady}
              aria-describedby={
                rules.reject.reason
                  ? rules.reject.reason === rules.approve.reason
                    ? 'approve-why'
                    : 'reject-why'
                  : undefined
              }
              onClick={() => act('reject')}
            >
              Reject v{v.number}
            </button>
          </div>
          {rules.approve.reason && (
            <p id="approve-why" class="why">
              Approve is disabled: {rules.approve.reason}
            </p>
          )}
          {rules.reject.reason && rules.reject.reason !== rules.approve.reason && (
            <p id="reject-why" class="why">
              Reject is disabled: {rules.reject.reason}
            </p>
          )}
          {rules.reject.allowed && !comment.trim() && <p class="hint">Write a comment to reject.</p>}
        </form>
      )}
      <ErrorNote error={error} />
    </>
  );
}
