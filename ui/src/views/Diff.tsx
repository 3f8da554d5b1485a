import { getJson, seg } from '../api.js';
import { Badge, ErrorNote, Loading, SecretRef, Value } from '../components/common.js';
import { useLoad, useViewTitle } from '../hooks.js';
import { href } from '../router.js';
import type { Diff as DiffData, VersionView } from '../types.js';

/**
 * Two versions side by side (GET …/versions/{n}/diff?against=m|live for what changed, and both
 * versions for the full picture). Secrets appear as fingerprints with the version that changed them.
 */
export function Diff({ org, number, against }: { org: string; number: number; against: string }) {
  const base = `/v1/orgs/${seg(org)}/sso/versions`;
  const loaded = useLoad(async () => {
    const diff = await getJson<DiffData>(`${base}/${number}/diff`, { against });
    const [from, to] = await Promise.all([
      getJson<VersionView>(`${base}/${diff.from}`),
      getJson<VersionView>(`${base}/${diff.to}`),
    ]);
    return { diff, from, to };
  }, [base, number, against]);
  const againstLabel = against === 'live' ? 'live' : `v${against}`;
  useViewTitle(`v${number} compared with ${againstLabel}`);

  return (
    <>
      <p class="crumbs">
        <a href={href.orgs()}>Organisations</a> › <a href={href.org(org)}>{org}</a> ›{' '}
        <a href={href.version(org, number)}>v{number}</a> ›
      </p>
      <h1 tabIndex={-1}>
        v{number} compared with {againstLabel}
      </h1>
      <ErrorNote error={loaded.error} />
      {!loaded.data && !loaded.error && <Loading what="the comparison" />}
      {loaded.data && <SideBySide {...loaded.data} live={against === 'live'} />}
    </>
  );
}

function SideBySide({
  diff,
  from,
  to,
  live,
}: {
  diff: DiffData;
  from: VersionView;
  to: VersionView;
  live: boolean;
}) {
  const changed = new Set(diff.changes.map((c) => c.field));
  const fields = [...new Set([...Object.keys(from.content), ...Object.keys(to.content)])];
  const secrets = (Object.keys(to.secrets) as Array<keyof VersionView['secrets']>).filter(
    (name) => from.secrets[name] !== null || to.secrets[name] !== null,
  );
  const contentOf = (v: VersionView, field: string) => (v.content as Record<string, unknown>)[field];
  const row = (field: string, before: preact.ComponentChildren, after: preact.ComponentChildren) => (
    <tr key={field} class={changed.has(field) ? 'changed' : undefined}>
      <th scope="row">
        {field}
        {changed.has(field) && <span class="changed-mark"> changed</span>}
      </th>
      <td>{before}</td>
      <td>{after}</td>
    </tr>
  );
  return (
    <>
      <section aria-labelledby="summary-heading" class="card">
        <h2 id="summary-heading">What changed</h2>
        {diff.equal ? (
          <p>
            <Badge status="pass" label="identical" /> Both versions configure exactly the same.
          </p>
        ) : (
          <ul>
            {diff.summary.map((sentence) => (
              <li key={sentence}>{sentence}</li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="side-heading" class="card">
        <h2 id="side-heading">Side by side</h2>
        <table class="diff">
          <caption class="visually-hidden">
            Fields of v{from.number} and v{to.number}; changed rows are marked “changed”
          </caption>
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">
                v{from.number} {live && '(live)'} · {from.kind} · <Badge status={from.review.state} />
              </th>
              <th scope="col">
                v{to.number} · {to.kind} · <Badge status={to.review.state} />
              </th>
            </tr>
          </thead>
          <tbody>
            {row('kind', from.kind, to.kind)}
            {fields.map((field) =>
              row(field, <Value value={contentOf(from, field)} />, <Value value={contentOf(to, field)} />),
            )}
            {secrets.map((field) =>
              row(
                field,
                <SecretRef value={from.secrets[field]} version={from.number} />,
                <SecretRef value={to.secrets[field]} version={to.number} />,
              ),
            )}
          </tbody>
        </table>
      </section>
    </>
  );
}
