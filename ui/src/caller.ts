import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { MeView, SessionView, TenantView } from './types.js';

/**
 * Who is signed in: the key or the person (GET /v1/me) and its tenant's settings (GET /v1/tenant);
 * for a person's session also GET /v1/session (the person, the session's tenant, its expiry).
 */
export interface Caller {
  readonly me: MeView;
  readonly tenant: TenantView;
  readonly session: SessionView | null;
}

export const CallerContext = createContext<Caller | null>(null);

export function useCaller(): Caller {
  const caller = useContext(CallerContext);
  if (!caller) throw new Error('useCaller outside a signed-in view');
  return caller;
}
