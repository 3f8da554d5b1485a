/**
 * A tenant whose people sign in to the console with a real OpenID Provider: the app (PUBLIC_URL
 * http://localhost:3000 unless given), the provider with accounts in groups, and the settings saved.
 */

import {
  bearer,
  createOrg,
  createTenant,
  createTestApp,
  type TenantFixture,
  type TestApp,
} from '../../support/app.js';
import {
  CONSOLE_CLIENT_ID,
  CONSOLE_CLIENT_SECRET,
  type ConsoleIdp,
  startConsoleIdp,
} from '../../support/console-idp.js';
import { loopbackFetch } from '../discovery/idp-servers.js';

export interface ConsoleWorld {
  readonly t: TestApp;
  readonly idp: ConsoleIdp & { strangerJwks: unknown };
  readonly tenant: TenantFixture;
  readonly org: { id: string; slug: string };
  close(): Promise<void>;
}

export const GROUPS = {
  auditors: 'csso-auditors',
  approvers: 'csso-approvers',
  editors: 'csso-editors',
  admins: 'csso-admins',
};

export const settingsBody = (issuer: string, extra: Record<string, unknown> = {}) => ({
  issuer,
  clientId: CONSOLE_CLIENT_ID,
  clientSecret: CONSOLE_CLIENT_SECRET,
  roleMappings: [
    { group: GROUPS.auditors, roles: ['auditor'], orgScope: null },
    { group: GROUPS.approvers, roles: ['approver'], orgScope: null },
    { group: GROUPS.editors, roles: ['editor'], orgScope: null },
    { group: GROUPS.admins, roles: ['admin'], orgScope: null },
  ],
  allowedEmailDomains: ['example.com'],
  ...extra,
});

export async function createConsoleWorld(
  label: string,
  env: Record<string, string> = {},
): Promise<ConsoleWorld> {
  const publicUrl = env.PUBLIC_URL ?? 'http://localhost:3000';
  const t = await createTestApp({ OUTBOUND_ALLOWLIST: '127.0.0.1', PUBLIC_URL: publicUrl, ...env }, label, {
    outbound: loopbackFetch(),
  });
  const tenant = await createTenant(t.app);
  const org = await createOrg(t.app, tenant.adminKey, 'acme-eu');
  const idp = await startConsoleIdp(
    [`${publicUrl}/ui/auth/callback`],
    [`${publicUrl}/ui/login/${tenant.slug}`],
  );
  idp.accounts.set('ada', {
    email: 'ada@example.com',
    email_verified: true,
    name: 'Ada Auditor',
    groups: [GROUPS.auditors],
  });
  idp.accounts.set('bob', { email: 'bob@example.com', name: 'Bob Approver', groups: [GROUPS.approvers] });
  idp.accounts.set('erin', {
    email: 'erin@example.com',
    name: 'Erin Editor',
    groups: [GROUPS.editors, GROUPS.approvers],
  });
  idp.accounts.set('alma', { email: 'alma@example.com', name: 'Alma Admin', groups: [GROUPS.admins] });
  idp.accounts.set('nora', { email: 'nora@example.com', name: 'Nora Nobody', groups: ['other-group'] });
  idp.accounts.set('olga', {
    email: 'olga@elsewhere.test',
    name: 'Olga Outsider',
    groups: [GROUPS.auditors],
  });
  const res = await t.app.inject({
    method: 'PUT',
    url: '/v1/console-login',
    headers: bearer(tenant.adminKey),
    payload: settingsBody(idp.issuer),
  });
  if (res.statusCode !== 200) throw new Error(`console login settings: ${res.statusCode} ${res.body}`);
  return {
    t,
    idp,
    tenant,
    org,
    async close() {
      await t.close();
      await idp.close();
    },
  };
}
