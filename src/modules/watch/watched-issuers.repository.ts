/**
 * `watched_issuers`: how the last rounds of each IdP went, so that a network problem becomes a
 * finding only on its second failing round in a row. A round run again after a crash (same round
 * key) does not count twice.
 */
import { sql } from 'kysely';
import type { Db } from '../../db/client.js';
import type { IssuerHistory } from './issuer-drift.js';

export interface IssuerState extends IssuerHistory {
  readonly lastRound: string | null;
}

/** The history after a round `round` that failed (or not) at `now`, given the state before it. */
export function nextHistory(
  before: IssuerState | undefined,
  round: string,
  failing: boolean,
  now: Date,
): IssuerState {
  if (!failing) return { failingRounds: 0, failingSince: null, lastRound: round };
  if (before && before.lastRound === round) return before;
  const streak = before && before.failingRounds > 0;
  return {
    failingRounds: (streak ? before.failingRounds : 0) + 1,
    failingSince: streak ? before.failingSince : now,
    lastRound: round,
  };
}

export const watchedIssuersRepository = {
  async find(db: Db, issuer: string): Promise<IssuerState | undefined> {
    const row = await db
      .selectFrom('watched_issuers')
      .select(['failing_rounds', 'failing_since', 'last_round'])
      .where('issuer', '=', issuer)
      .executeTakeFirst();
    return (
      row && { failingRounds: row.failing_rounds, failingSince: row.failing_since, lastRound: row.last_round }
    );
  },

  async save(db: Db, issuer: string, state: IssuerState, outcome: Record<string, unknown>): Promise<void> {
    const values = {
      failing_rounds: state.failingRounds,
      failing_since: state.failingSince,
      last_round: state.lastRound,
      last_checked_at: sql<Date>`now()`,
      last_outcome: JSON.stringify(outcome),
    };
    await db
      .insertInto('watched_issuers')
      .values({ issuer, ...values })
      .onConflict((oc) => oc.column('issuer').doUpdateSet(values))
      .execute();
  },
};
