import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { tenantPrincipalOf } from '../../plugins/auth.js';
import { changeContextOf } from '../../plugins/change-context.js';
import { FindingView } from '../findings/findings.schemas.js';
import { type FindingsService, toFindingView } from '../findings/findings.service.js';
import { OrgRefParams } from '../orgs/orgs.schemas.js';
import type { WatchService } from './watch.service.js';

const WatchRunView = Type.Object({
  issuers: Type.Integer({ description: 'OIDC issuers fetched (one read of each document and JWKS)' }),
  opened: Type.Integer(),
  changed: Type.Integer(),
  resolved: Type.Integer(),
  seen: Type.Integer({ description: 'Open findings seen again unchanged' }),
  open: Type.Array(FindingView, {
    description: 'The org’s open findings after the check, most severe first',
  }),
});

const WatchSettingsView = Type.Object({
  credentialProbe: Type.Boolean({
    description:
      'The watch also sends a token request with the desired version’s client id and secret, to learn whether the IdP still accepts them (credential_rejected). Off by default.',
  }),
  lastProbedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  probeIntervalSeconds: Type.Integer({
    description: 'At most one probe per org in this time (WATCH_PROBE_INTERVAL_SECONDS)',
  }),
});

const PutWatchSettings = Type.Object({ credentialProbe: Type.Boolean() }, { additionalProperties: false });

export const watchRoutes: FastifyPluginAsyncTypebox<{
  watch: WatchService;
  findings: FindingsService;
}> = async (app, { watch, findings }) => {
  app.post(
    '/v1/orgs/:org/watch/run',
    {
      config: { access: { roles: ['admin', 'editor', 'approver'] } },
      schema: {
        operationId: 'runOrgWatch',
        tags: ['findings'],
        summary: 'Check the org now: its IdPs (discovery and JWKS), certificate and secret expiry, delivery',
        description:
          'Runs the watch’s checks for this org at once, outside the scheduled rounds. A network problem still opens a finding only on its second failing check in a row.',
        params: OrgRefParams,
        response: { 200: WatchRunView },
      },
    },
    async (request) => {
      const principal = tenantPrincipalOf(request);
      const outcome = await watch.runOrg(principal, request.params.org);
      const open = await findings.listOfOrg(principal, request.params.org, { state: 'open', limit: 200 });
      return { ...outcome, open: open.items.map(toFindingView) };
    },
  );

  app.get(
    '/v1/orgs/:org/watch',
    {
      config: { access: { roles: ['admin', 'editor', 'approver', 'auditor'] } },
      schema: {
        operationId: 'getOrgWatchSettings',
        tags: ['findings'],
        summary: 'The org’s watch settings (the opt-in credential probe)',
        params: OrgRefParams,
        response: { 200: WatchSettingsView },
      },
    },
    async (request) => watch.settings(tenantPrincipalOf(request), request.params.org),
  );

  app.put(
    '/v1/orgs/:org/watch',
    {
      config: { access: { roles: ['admin'] } },
      schema: {
        operationId: 'setOrgWatchSettings',
        tags: ['findings'],
        summary: 'Turn the org’s credential probe on or off',
        params: OrgRefParams,
        body: PutWatchSettings,
        response: { 200: WatchSettingsView },
      },
    },
    async (request) =>
      watch.putSettings(
        changeContextOf(request),
        tenantPrincipalOf(request),
        request.params.org,
        request.body,
      ),
  );
};
