/**
 * Values that differ per org in a change made to many (bulk drafts, plans): `{org.slug}`, `{org.id}`,
 * `{org.name}`, `{org.labels.<key>}` and `{cognigy.organisationId}`, filled from each org.
 */
import { BadRequestError } from '../../lib/errors.js';
import type { OrgRow } from '../orgs/orgs.repository.js';

/** The placeholders a templated value may contain. */
export const TEMPLATE_NAMES =
  '{org.slug}, {org.id}, {org.name}, {org.labels.<key>} and {cognigy.organisationId}';

const TEMPLATE = /\{(org\.slug|org\.id|org\.name|org\.labels\.[a-z0-9._/-]+|cognigy\.organisationId)\}/g;

/**
 * Fills the placeholders of every string field from the org.
 * @throws BadRequestError naming the field (`pointerBase`/field) when the org has no such value.
 */
export function fillTemplates(
  change: Record<string, unknown>,
  org: OrgRow,
  pointerBase: string,
): Record<string, unknown> {
  const labels = org.labels as Record<string, string>;
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(change)) {
    if (typeof value !== 'string') {
      out[field] = value;
      continue;
    }
    out[field] = value.replace(TEMPLATE, (_all, name: string) => {
      let filled: string | null | undefined;
      if (name === 'org.slug') filled = org.slug;
      else if (name === 'org.id') filled = org.id;
      else if (name === 'org.name') filled = org.name;
      else if (name === 'cognigy.organisationId') filled = org.cognigy?.organisationId;
      else filled = labels[name.slice('org.labels.'.length)];
      if (filled === undefined || filled === null) {
        throw new BadRequestError('BULK_TEMPLATE_UNRESOLVED', `{${name}} has no value for org ${org.slug}`, {
          errors: [{ pointer: `${pointerBase}/${field}`, detail: `{${name}} has no value for this org` }],
        });
      }
      return filled;
    });
  }
  return out;
}
