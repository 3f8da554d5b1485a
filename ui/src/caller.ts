import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { MeView, TenantView } from './types.js';

/** Who is signed in: the key (GET /v1/me) and its tenant's settings (GET /v1/tenant). */
export interface Caller {
  readonly me: MeView;
  readonly tenant: TenantView;
}

export const CallerContext = createContext<Caller | null>(null);

export function useCaller(): Caller {
  const caller = useContext(CallerContext);
  if (!caller) throw new Error('useCaller outside a signed-in view');
  return caller;
}
