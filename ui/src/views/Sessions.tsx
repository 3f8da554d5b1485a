import { useState } from 'preact/hooks';
import { getJson, seg, sendJson } from '../api.js';
import { useCaller } from '../caller.js';
import { DataTable, ErrorNote, Loading, shortId, Time } from '../components/common.js';
import { MoreButton } from '../components/more.js';
import { endSessionBlocked, mayManageConsoleSignIn, personLabel } from '../console-sign-in.js';
import { usePaged, useViewTitle } from '../hooks.js';
import type { ConsoleSessionView, Page } from '../types.js';

/** The tenant's console sessions (GET /v1/console-sessions), each with an End button; admins only. */
export function Sessions() {
  useViewTitle('Sessions');
  const { me } = useCaller();
  const allowed = mayManageConsoleSignIn(me.roles);
  const sessions = usePaged(
    (cursor) =>
      allowed
        ? getJson<Page<ConsoleSessionView>>('/v1/console-sessions', { cursor, limit: 50 })
        : Promise.resolve({ items: [], nextCursor: null }),
    [allowed],
  );
  const [notice, setNotice] = useState('');
  const [error, setError] = useState<unknown>(null);

  if (!allowed) {
    return (
      <>
        <h1 tabIndex={-1}>Sessions</h1>
        <p class="error" role="alert">
          The tenant’s sessions need the admin role; your roles: {me.roles.join(', ')}.
        </p>
      </>
    );
  }

  async function end(s: ConsoleSessionView) {
    setError(null);
    setNotice('');
    try {
      await sendJson('DELETE', `/v1/console-sessions/${seg(s.id)}`);
      setNotice(`The session of ${personLabel(s.person)} has ended.`);
      sessions.reload();
    } catch (e) {
      setError(e);
    }
  }

  return (
    <>
      <h1 tabIndex={-1}>Sessions</h1>
      <p class="lead">
        People signed in to this console through your identity provider. Ending a session signs that browser
        out at its next request.
      </p>
      <p class="status" role="status">
        {notice}
      </p>
      <ErrorNote error={error ?? sessions.error} />
      {sessions.items.length > 0 && (
        <DataTable
          caption="Console sessions"
          columns={['Person', 'Roles', 'Signed in', 'Last seen', 'Ends', 'From', 'Action']}
        >
          {sessions.items.map((s) => {
            const blocked = endSessionBlocked(me.roles, s.current);
            return (
              <tr key={s.id}>
                <td>
                  {personLabel(s.person)}
                  {s.current && <strong class="current"> (this session)</strong>}
                  <div class="hint" title={`${s.person.issuer} · ${s.person.subject}`}>
                    session {shortId(s.id)}
                  </div>
                </td>
                <td>
                  {s.roles.join(', ')}
                  {s.orgScope && <div class="hint">orgs: {s.orgScope.join(', ')}</div>}
                </td>
                <td>
                  <Time iso={s.createdAt} />
                </td>
                <td>
                  <Time iso={s.lastSeenAt} />
                </td>
                <td>
                  idle: <Time iso={s.idleExpiresAt} />
                  <div class="hint">
                    at the latest: <Time iso={s.expiresAt} />
                  </div>
                </td>
                <td>
                  {s.sourceIp ?? '—'}
                  {s.userAgent && (
                    <div class="hint" title={s.userAgent}>
                      {s.userAgent.slice(0, 40)}
                      {s.userAgent.length > 40 ? '…' : ''}
                    </div>
                  )}
                </td>
                <td>
                  <button
                    type="button"
                    class="danger"
                    disabled={blocked !== null}
                    title={blocked ?? undefined}
                    onClick={() => end(s)}
                  >
                    End<span class="visually-hidden"> session of {personLabel(s.person)}</span>
                  </button>
                </td>
              </tr>
            );
          })}
        </DataTable>
      )}
      {sessions.loading && <Loading what="sessions" />}
      {!sessions.loading && !sessions.error && sessions.items.length === 0 && (
        <p class="empty">Nobody is signed in through the identity provider right now.</p>
      )}
      <MoreButton more={sessions.more} what="sessions" />
    </>
  );
}
