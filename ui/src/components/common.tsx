/** Small pieces shared by the views. */
import type { ComponentChildren } from 'preact';
import { ApiError } from '../api.js';

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function Time({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span class="muted">—</span>;
  return (
    <time dateTime={iso} title={iso}>
      {dateFormat.format(new Date(iso))}
    </time>
  );
}

const STATUS_LABELS: Record<string, string> = {
  pass: 'pass',
  warn: 'warning',
  fail: 'fail',
  skip: 'skipped',
  in_flight: 'in flight',
  unknown: 'outcome unknown',
};

/** A status as a word in a tinted box: the colour only repeats what the text says. */
export function Badge({ status, label }: { status: string; label?: string }) {
  return <span class={`badge badge-${status}`}>{label ?? STATUS_LABELS[status] ?? status}</span>;
}

export function Actor({ actor }: { actor: { id: string | null; name: string } | null }) {
  if (!actor) return <span class="muted">—</span>;
  return <span title={actor.id ?? 'system'}>{actor.name}</span>;
}

export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  const text =
    error instanceof ApiError
      ? `${error.problem.title}${error.problem.detail ? `: ${error.problem.detail}` : ''}`
      : error instanceof Error
        ? error.message
        : String(error);
  return (
    <p class="error" role="alert">
      {text}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function Section({
  title,
  children,
  id,
}: {
  title: string;
  children: ComponentChildren;
  id?: string;
}) {
  const headingId = `${id ?? title.toLowerCase().replace(/\W+/g, '-')}-heading`;
  return (
    <section aria-labelledby={headingId} class="card">
      <h2 id={headingId}>{title}</h2>
      {children}
    </section>
  );
}

/** A secret as the API shows it: a fingerprint and the version that last changed it. */
export function SecretRef({
  value,
  version,
}: {
  value: { fingerprint: string; changedIn: number } | null;
  version: number;
}) {
  if (!value) return <span class="muted">not set</span>;
  const hint = `changed in v${value.changedIn}${value.changedIn === version ? '' : ', unchanged since'}`;
  return (
    <span>
      <code>{value.fingerprint}</code> <span class="hint">{hint}</span>
    </span>
  );
}

export function Labels({ labels }: { labels: Record<string, string> }) {
  const entries = Object.entries(labels);
  if (entries.length === 0) return <span class="muted">no labels</span>;
  return (
    <ul class="labels" aria-label="Labels">
      {entries.map(([k, v]) => (
        <li key={k} class="label">
          {k}={v}
        </li>
      ))}
    </ul>
  );
}

const LONG = 160;

/** Any JSON value, compact: strings as they are, the rest as JSON; a long one (a certificate) folded. */
export function Value({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <span class="muted">—</span>;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text.length <= LONG) return <code class="value">{text}</code>;
  return (
    <details class="long">
      <summary>
        <code>{text.slice(0, 48)}…</code> <span class="hint">({text.length} characters)</span>
      </summary>
      <code class="value">{text}</code>
    </details>
  );
}

/** The end of a UUID: ids of one period share their first (time) digits, the last ones tell them apart. */
export const shortId = (id: string) => `…${id.slice(-8)}`;

/** A table with column headers and a caption for screen readers; the rows are the children. */
export function DataTable({
  caption,
  columns,
  children,
  class: className,
}: {
  caption: string;
  columns: readonly string[];
  children: ComponentChildren;
  class?: string;
}) {
  return (
    <table class={className}>
      <caption class="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          {columns.map((column) => (
            <th key={column} scope="col">
              {column}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}
