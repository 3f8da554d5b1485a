/**
 * The bound of calls in flight at once to one Cognigy installation (§6; issue 21, item 5), as the
 * forwarder uses it: a call takes a place of its installation before the request and gives it back at
 * the answer. Two implementations: shared by every process on the database (installation-slots.ts,
 * the default) and per process (keyed-limiter.ts).
 */

/** Gives the place back; calling it again does nothing. */
export type ReleaseSlot = () => void;

export interface InstallationBound {
  /**
   * Waits for a place at `installation` (the org target's normalised API base). Rejects with
   * {@link SlotWaitStopped} when `signal` aborts first (the worker is stopping).
   */
  acquire(installation: string, signal: AbortSignal): Promise<ReleaseSlot>;
  /** Gives back whatever this process still holds (at stop, after the calls have ended). */
  close(): Promise<void>;
}

/** The wait for a place was given up because the worker stops: the call was not made. */
export class SlotWaitStopped extends Error {
  override readonly name = 'SlotWaitStopped';
  constructor() {
    super('the worker stopped while the call waited for a place at its installation');
  }
}
