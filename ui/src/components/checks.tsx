import { Badge } from './common.js';

const CHECK_ICONS: Record<string, string> = { pass: '✓', warn: '!', fail: '✗', skip: '–' };

/** A validation report's checks as a list: icon, name, status as a word, and the check's sentence. */
export function Checks({
  checks,
}: {
  checks: ReadonlyArray<{ readonly name: string; readonly status: string; readonly message: string }>;
}) {
  return (
    <ul class="checklist">
      {checks.map((check) => (
        <li key={check.name} class={`check check-${check.status}`}>
          <span class="check-icon" aria-hidden="true">
            {CHECK_ICONS[check.status] ?? '?'}
          </span>
          <span class="check-body">
            <span class="check-name">
              <code>{check.name}</code> <Badge status={check.status} />
            </span>
            <span class="check-message">{check.message}</span>
          </span>
        </li>
      ))}
    </ul>
  );
}
