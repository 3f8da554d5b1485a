import { useState } from 'preact/hooks';
import { getJson } from '../api.js';
import { DataTable, ErrorNote, Labels, Loading, Time } from '../components/common.js';
import { MoreButton } from '../components/more.js';
import { usePaged, useViewTitle } from '../hooks.js';
import { href } from '../router.js';
import type { OrgView, Page } from '../types.js';

/** The tenant's orgs, searchable by text and labels (GET /v1/orgs). */
export function Orgs() {
  useViewTitle('Organisations');
  const [form, setForm] = useState({ q: '', label: '' });
  const [query, setQuery] = useState({ q: '', label: '' });
  const orgs = usePaged(
    (cursor) =>
      getJson<Page<OrgView>>('/v1/orgs', {
        q: query.q.trim(),
        label: query.label.trim(),
        cursor,
        limit: 50,
      }),
    [query.q, query.label],
  );

  return (
    <>
      <h1 tabIndex={-1}>Organisations</h1>
      <form
        class="filters"
        aria-label="Search organisations"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery(form);
        }}
      >
        <div class="field">
          <label for="org-q">Name or slug contains</label>
          <input
            id="org-q"
            type="search"
            value={form.q}
            onInput={(e) => setForm({ ...form, q: e.currentTarget.value })}
          />
        </div>
        <div class="field">
          <label for="org-label">With label (key=value)</label>
          <input
            id="org-label"
            placeholder="env=prod"
            pattern="[a-z0-9][a-z0-9._\/\-]*=.*"
            title="key=value"
            value={form.label}
            onInput={(e) => setForm({ ...form, label: e.currentTarget.value })}
          />
        </div>
        <button type="submit">Search</button>
      </form>
      <ErrorNote error={orgs.error} />
      <DataTable
        caption="Organisations"
        columns={['Organisation', 'Slug', 'Labels', 'Cognigy API base', 'Updated']}
      >
        {orgs.items.map((org) => (
          <tr key={org.id}>
            <td>
              <a href={href.org(org.slug)}>{org.name}</a>
            </td>
            <td>
              <code>{org.slug}</code>
            </td>
            <td>
              <Labels labels={org.labels} />
            </td>
            <td>{org.cognigy ? <code>{org.cognigy.apiBase}</code> : <span class="muted">not set</span>}</td>
            <td>
              <Time iso={org.updatedAt} />
            </td>
          </tr>
        ))}
      </DataTable>
      {orgs.loading && <Loading what="organisations" />}
      {!orgs.loading && orgs.items.length === 0 && !orgs.error && (
        <p class="muted">No organisation matches.</p>
      )}
      <MoreButton more={orgs.more} what="organisations" />
    </>
  );
}
