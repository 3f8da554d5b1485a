import { useEffect, useState } from 'preact/hooks';
import { ApiError, getJson, sendJson } from '../api.js';
import { useCaller } from '../caller.js';
import { Checks } from '../components/checks.js';
import { Badge, ErrorNote, Loading, Section, Time } from '../components/common.js';
import {
  emptyMapping,
  formOf,
  type MappingRow,
  mayManageConsoleSignIn,
  ROLES,
  reportOf,
  type SettingsForm,
  settingsBody,
} from '../console-sign-in.js';
import { useLoad, useViewTitle } from '../hooks.js';
import type { ConsoleLoginView, ValidationReport } from '../types.js';

/** Algorithms the ID token may be signed with (the API's ID_TOKEN_ALGS, src/modules/discovery/oidc-options.ts). */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'HS256', 'HS384', 'HS512'];

/**
 * "Console sign-in" (GET/PUT/DELETE /v1/console-login): the tenant's identity provider for its
 * people, and which of their groups get which roles. Admins only, as at the API.
 */
export function ConsoleSignIn() {
  useViewTitle('Console sign-in');
  const { me } = useCaller();
  const allowed = mayManageConsoleSignIn(me.roles);
  const loaded = useLoad(
    () => (allowed ? getJson<ConsoleLoginView>('/v1/console-login') : Promise.resolve(null)),
    [allowed],
  );
  if (!allowed) {
    return (
      <>
        <h1 tabIndex={-1}>Console sign-in</h1>
        <p class="error" role="alert">
          The console sign-in settings need the admin role; your roles: {me.roles.join(', ')}.
        </p>
      </>
    );
  }
  const view = loaded.data;
  return (
    <>
      <h1 tabIndex={-1}>Console sign-in</h1>
      <p class="lead">
        Your people sign in to this console with your identity provider (OpenID Connect, Authorization Code
        with PKCE); the groups it sends decide their roles. A person in no mapped group is refused.
      </p>
      <ErrorNote error={loaded.error} />
      {!view && !loaded.error && <Loading what="the console sign-in settings" />}
      {view && <Settings view={view} onSaved={loaded.reload} />}
    </>
  );
}

function Settings({ view, onSaved }: { view: ConsoleLoginView; onSaved: () => void }) {
  const [form, setForm] = useState<SettingsForm>(() => formOf(view));
  const [problems, setProblems] = useState<string[]>([]);
  const [report, setReport] = useState<ValidationReport | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => setForm(formOf(view)), [view]);
  const set = (change: Partial<SettingsForm>) => setForm((f) => ({ ...f, ...change }));
  const setRow = (index: number, change: Partial<MappingRow>) =>
    setForm((f) => ({ ...f, mappings: f.mappings.map((m, i) => (i === index ? { ...m, ...change } : m)) }));

  async function run(what: () => Promise<string>) {
    setBusy(true);
    setError(null);
    setReport(null);
    setNotice('');
    try {
      setNotice(await what());
      onSaved();
    } catch (e) {
      setReport(e instanceof ApiError ? reportOf(e.problem) : null);
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  function save(event: Event) {
    event.preventDefault();
    const built = settingsBody(form, view.configured);
    setProblems(built.problems);
    if (!built.body) return;
    const body = built.body;
    run(async () => {
      // If-Match: a save over settings someone else changed meanwhile is refused (409), not lost.
      await sendJson('PUT', '/v1/console-login', body, view.etag ? { 'if-match': view.etag } : undefined);
      // The secret is stored: out of the page at once, not only once the settings are read again.
      set({ clientSecret: '' });
      return 'Saved: the issuer passed the checks. People sign in with the new settings from now on.';
    });
  }

  function turnOff() {
    if (!confirm('Turn console sign-in off? Every session of this tenant ends now.')) return;
    run(async () => {
      await sendJson('DELETE', '/v1/console-login');
      return 'Console sign-in is off; every session of this tenant has ended.';
    });
  }

  return (
    <>
      <Section title="At your identity provider">
        <dl class="facts">
          <dt>State</dt>
          <dd>
            {view.configured ? (
              <Badge status="pass" label="on" />
            ) : (
              <Badge status="skip" label="not set up" />
            )}
            {view.updatedAt && (
              <span class="hint">
                {' '}
                changed <Time iso={view.updatedAt} />
              </span>
            )}
          </dd>
          <dt>Redirect URI to register</dt>
          <dd>
            <code>{view.redirectUri}</code>
          </dd>
          <dt>Sign-in link for your people</dt>
          <dd>
            <code>{view.loginUrl}</code>
          </dd>
        </dl>
      </Section>
      <form class="stack settings" onSubmit={save} aria-labelledby="settings-heading">
        <h2 id="settings-heading">Settings</h2>
        <TextField
          id="cl-issuer"
          label="Issuer"
          type="url"
          value={form.issuer}
          onInput={(issuer) => set({ issuer })}
          hint="Checked at save like an SSO version’s issuer: its discovery document must answer and match."
        />
        <TextField
          id="cl-client-id"
          label="Client ID"
          value={form.clientId}
          onInput={(clientId) => set({ clientId })}
        />
        <label for="cl-client-secret">Client secret</label>
        <input
          id="cl-client-secret"
          type="password"
          autocomplete="new-password"
          spellcheck={false}
          value={form.clientSecret}
          onInput={(e) => set({ clientSecret: e.currentTarget.value })}
          aria-describedby="cl-client-secret-help"
        />
        <p id="cl-client-secret-help" class="hint">
          Stored encrypted and never shown again.{' '}
          {view.clientSecretFingerprint ? (
            <>
              Stored now: <code>{view.clientSecretFingerprint}</code>. Leave empty to keep it.
            </>
          ) : (
            'Required the first time.'
          )}
        </p>
        <label for="cl-alg">ID token signing algorithm</label>
        <select
          id="cl-alg"
          value={form.idTokenSignedResponseAlg}
          onChange={(e) => set({ idTokenSignedResponseAlg: e.currentTarget.value })}
        >
          {ALGORITHMS.map((alg) => (
            <option key={alg} value={alg}>
              {alg}
            </option>
          ))}
        </select>
        <TextField
          id="cl-groups-claim"
          label="Groups claim"
          value={form.groupsClaim}
          onInput={(groupsClaim) => set({ groupsClaim })}
          hint="The ID token claim that lists the person’s groups."
        />
        <Mappings rows={form.mappings} setRow={setRow} set={set} />
        <TextField
          id="cl-domains"
          label="Allowed email domains"
          value={form.allowedEmailDomains}
          onInput={(allowedEmailDomains) => set({ allowedEmailDomains })}
          hint="Comma-separated, e.g. acme.example, acme-ops.example; empty: any domain."
        />
        <label class="check-label">
          <input
            type="checkbox"
            checked={form.apiKeySignInAllowed}
            onChange={(e) => set({ apiKeySignInAllowed: e.currentTarget.checked })}
          />{' '}
          API-key sign-in to the console stays allowed
        </label>
        <p class="hint">
          Off: the sign-in page offers only your identity provider; API keys still work for automation.
        </p>
        {problems.length > 0 && (
          <ul class="error" role="alert" aria-label="Fix first">
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        )}
        <div class="actions">
          <button type="submit" disabled={busy}>
            {busy ? 'Checking the issuer…' : 'Save'}
          </button>
          {view.configured && (
            <button type="button" class="danger" disabled={busy} onClick={turnOff}>
              Turn console sign-in off
            </button>
          )}
        </div>
      </form>
      <p class="status" role="status">
        {notice}
      </p>
      <ErrorNote error={error} />
      {report && (
        <Section title="Why the issuer was refused">
          <p>
            <Badge status={report.status} label={`Overall: ${report.status}`} /> Nothing was saved.
          </p>
          <Checks checks={report.checks} />
        </Section>
      )}
      {!report && view.validation && (
        <Section title="Last check of the issuer">
          <Checks checks={view.validation.checks} />
        </Section>
      )}
    </>
  );
}

/** The group → roles (and org scope) rows, editable: one fieldset per row. */
function Mappings({
  rows,
  setRow,
  set,
}: {
  rows: readonly MappingRow[];
  setRow: (index: number, change: Partial<MappingRow>) => void;
  set: (change: Partial<SettingsForm>) => void;
}) {
  return (
    <fieldset class="mappings">
      <legend>Groups and their roles</legend>
      {rows.map((row, i) => (
        // Rows have no identity but their place while edited (the inputs are controlled).
        <fieldset key={i} class="mapping">
          <legend>Mapping {i + 1}</legend>
          <label for={`map-group-${i}`}>Group</label>
          <input
            id={`map-group-${i}`}
            spellcheck={false}
            value={row.group}
            onInput={(e) => setRow(i, { group: e.currentTarget.value })}
          />
          <fieldset class="roles">
            <legend>Roles</legend>
            {ROLES.map((role) => (
              <label key={role} class="check-label">
                <input
                  type="checkbox"
                  checked={row.roles.includes(role)}
                  onChange={(e) =>
                    setRow(i, {
                      roles: e.currentTarget.checked
                        ? [...row.roles, role]
                        : row.roles.filter((r) => r !== role),
                    })
                  }
                />{' '}
                {role}
              </label>
            ))}
          </fieldset>
          <label for={`map-scope-${i}`}>Org scope</label>
          <input
            id={`map-scope-${i}`}
            spellcheck={false}
            value={row.orgScope}
            placeholder="every org"
            onInput={(e) => setRow(i, { orgScope: e.currentTarget.value })}
            aria-describedby="map-scope-help"
          />
          <button
            type="button"
            class="secondary"
            onClick={() => set({ mappings: rows.filter((_, j) => j !== i) })}
          >
            Remove mapping {i + 1}
          </button>
        </fieldset>
      ))}
      <p id="map-scope-help" class="hint">
        Org scope: org slugs, comma-separated; empty: every org of the tenant.
      </p>
      <button type="button" class="secondary" onClick={() => set({ mappings: [...rows, emptyMapping()] })}>
        Add a mapping
      </button>
    </fieldset>
  );
}

/** A labelled text input with an optional hint under it (linked by aria-describedby). */
function TextField(props: {
  id: string;
  label: string;
  value: string;
  onInput: (value: string) => void;
  type?: string;
  hint?: string;
}) {
  return (
    <>
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        type={props.type ?? 'text'}
        spellcheck={false}
        value={props.value}
        onInput={(e) => props.onInput(e.currentTarget.value)}
        aria-describedby={props.hint ? `${props.id}-help` : undefined}
      />
      {props.hint && (
        <p id={`${props.id}-help`} class="hint">
          {props.hint}
        </p>
      )}
    </>
  );
}
