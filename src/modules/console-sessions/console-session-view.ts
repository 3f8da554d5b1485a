/** How a console session is shown: never its secret id, only its public one. */
import type { SessionRow } from './sessions.repository.js';

export const toPersonView = (p: SessionRow['person']) => ({
  id: p.id,
  issuer: p.issuer,
  subject: p.subject,
  email: p.email,
  name: p.name,
});

export const toSessionView = (s: SessionRow, currentId: string | undefined) => ({
  id: s.id,
  person: toPersonView(s.person),
  roles: [...s.roles],
  orgScope: s.orgScope ? [...s.orgScope] : null,
  createdAt: s.createdAt.toISOString(),
  lastSeenAt: s.lastSeenAt.toISOString(),
  idleExpiresAt: s.idleExpiresAt.toISOString(),
  expiresAt: s.expiresAt.toISOString(),
  sourceIp: s.sourceIp,
  userAgent: s.userAgent,
  current: s.id === currentId,
});
