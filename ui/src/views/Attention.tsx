import { useState } from 'preact/hooks';
import { getJson } from '../api.js';
import { ErrorNote, Loading } from '../components/common.js';
import { FindingList } from '../components/findings.js';
import { MoreButton } from '../components/more.js';
import { FINDING_KINDS, KIND_LABELS, SEVERITIES } from '../findings.js';
import { usePaged, useViewTitle } from '../hooks.js';
import { href, navigate } from '../router.js';
import type { FindingView, Page } from '../types.js';

const FILTERS = ['severity', 'kind'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

/** The open findings of every org the key sees (GET /v1/findings), most severe first, then newest. */
export function Attention({ filters: params }: { filters: URLSearchParams }) {
  useViewTitle('Attention');
  const filters = Object.fromEntries(FILTERS.map((f) => [f, params.get(f) ?? ''])) as Filters;
  return <OpenFindings key={params.toString()} filters={filters} />;
}

function OpenFindings({ filters }: { filters: Filters }) {
  const [form, setForm] = useState(filters);
  const findings = usePaged(
    (cursor) => getJson<Page<FindingView>>('/v1/findings', { ...filters, state: 'open', cursor, limit: 50 }),
    FILTERS.map((f) => filters[f]),
  );
  const filtered = FILTERS.some((f) => filters[f] !== '');
  const set = (name: keyof Filters) => (e: { currentTarget: { value: string } }) =>
    setForm({ ...form, [name]: e.currentTarget.value });

  return (
    <>
      <h1 tabIndex={-1}>Attention</h1>
      <p class="lead">
        What the watch found in the organisations this key sees and is still open: most severe first, then
        newest. A finding resolves itself when a later check no longer sees the problem.
      </p>
      <form
        class="filters"
        aria-label="Filter findings"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(href.attention(form));
        }}
      >
        <div class="field">
          <label for="attention-severity">Severity</label>
          <select id="attention-severity" value={form.severity} onChange={set('severity')}>
            <option value="">any</option>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="attention-kind">Kind</label>
          <select id="attention-kind" value={form.kind} onChange={set('kind')}>
            <option value="">any</option>
            {FINDING_KINDS.map((k) => (
              <option key={k} value={k}>
                {KIND_LABELS[k]}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">Apply filters</button>
      </form>
      <ErrorNote error={findings.error} />
      <FindingList items={findings.items} label="Open findings, most severe first" level={2} showOrg />
      {findings.loading && <Loading what="findings" />}
      {!findings.loading && !findings.error && findings.items.length === 0 && (
        <p class="empty">
          Nothing needs attention:{' '}
          {filtered
            ? 'no open finding matches these filters.'
            : 'the watch has no open finding in the organisations this key sees.'}
        </p>
      )}
      {!findings.loading && findings.items.length > 0 && !findings.more && (
        <p class="muted">
          {findings.items.length} open finding{findings.items.length === 1 ? '' : 's'} shown: that is all.
        </p>
      )}
      <MoreButton more={findings.more} what="findings" auto />
    </>
  );
}
