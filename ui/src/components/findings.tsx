/** The watch's findings as a list: severity in words, what and where, the suggested action, the evidence. */
import { KIND_LABELS, type Severity } from '../findings.js';
import { href } from '../router.js';
import type { FindingView } from '../types.js';
import { Badge, Time } from './common.js';

/** A severity as a word in a box; the colour (and the card's edge) only repeat it. */
export function SeverityBadge({ severity }: { severity: Severity }) {
  return (
    <>
      <span class="visually-hidden">Severity: </span>
      <Badge status={`severity-${severity}`} label={severity} />
    </>
  );
}

/**
 * Findings, in the API's order (most severe first, then newest). Each is a heading of `level`
 * (2 on a page of its own, 3 inside a section), so a screen reader can jump from one to the next.
 */
export function FindingList({
  items,
  label,
  level,
  showOrg,
}: {
  items: readonly FindingView[];
  label: string;
  level: 2 | 3;
  showOrg: boolean;
}) {
  if (items.length === 0) return null;
  return (
    <ul class="findings" aria-label={label}>
      {items.map((f) => (
        <Finding key={f.id} finding={f} level={level} showOrg={showOrg} />
      ))}
    </ul>
  );
}

function Finding({ finding: f, level, showOrg }: { finding: FindingView; level: 2 | 3; showOrg: boolean }) {
  const Heading = level === 2 ? 'h2' : 'h3';
  const kind = KIND_LABELS[f.kind] ?? f.kind;
  return (
    <li class={`finding finding-${f.severity} finding-${f.state}`}>
      <Heading class="finding-head">
        <SeverityBadge severity={f.severity} /> {kind}
        {showOrg && (
          <>
            {' '}
            <span class="finding-org">
              in <a href={href.org(f.org.slug)}>{f.org.slug}</a>
            </span>
          </>
        )}
        {f.state === 'resolved' && (
          <>
            {' '}
            <Badge status="pass" label="resolved" />
          </>
        )}
      </Heading>
      <p class="finding-summary">{f.summary}</p>
      <p class="finding-action">
        <strong>Suggested action:</strong> {f.action}
      </p>
      <p class="hint finding-times">
        <code title="What the finding is about">{f.subject}</code> · first seen <Time iso={f.firstSeenAt} /> ·
        last seen <Time iso={f.lastSeenAt} />
        {f.resolvedAt && (
          <>
            {' '}
            · resolved <Time iso={f.resolvedAt} />
          </>
        )}
      </p>
      <details class="evidence">
        <summary>
          Evidence
          <span class="visually-hidden">
            {' '}
            of {kind}
            {showOrg ? ` in ${f.org.slug}` : ''} ({f.subject})
          </span>
        </summary>
        <pre>{JSON.stringify(f.evidence, null, 2)}</pre>
      </details>
    </li>
  );
}
