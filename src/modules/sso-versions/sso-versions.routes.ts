import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { etagOf, expectedRevision } from '../../lib/etag.js';
import { IfMatchHeader, Page } from '../../lib/schemas.js';
import { tenantPrincipalOf } from '../../plugins/auth.js';
import { changeContextOf } from '../../plugins/change-context.js';
import { emptyBodyAsObject } from '../../plugins/validation.js';
import { OrgRefParams } from '../orgs/orgs.schemas.js';
import { CognigyRequestView } from './dry-run.schemas.js';
import { SsoStateView } from './sso-state.schemas.js';
import {
  ApproveBody,
  CreateDraftBody,
  DiffQuery,
  DiffView,
  ListVersionsQuery,
  OrgVersionParams,
  RejectBody,
  RollbackBody,
  ValidateBody,
  VersionView,
} from './sso-versions.schemas.js';
import type { SsoVersionsService } from './sso-versions.service.js';

const READERS = { roles: ['admin', 'editor', 'approver', 'auditor'] } as const;
const EDITORS = { roles: ['editor'] } as const;
const APPROVERS = { roles: ['approver'] } as const;
const VERSIONS = '/v1/orgs/:org/sso/versions';

export const ssoVersionsRoutes: FastifyPluginAsyncTypebox<{ versions: SsoVersionsService }> = async (
  app,
  { versions },
) => {
  const location = (orgId: string, number: number) => `/v1/orgs/${orgId}/sso/versions/${number}`;

  app.post(
    VERSIONS,
    {
      config: { access: EDITORS },
      schema: {
        operationId: 'createSsoDraft',
        tags: ['sso'],
        summary: 'Create a draft (validated; the report is returned with it)',
        description:
          'Name the version the draft is based on with baseVersion (0 for the first) or If-Match: if a newer version was created since, 409 with the current head. A client secret (or SAML decryption key) left out is carried over from that version.',
        params: OrgRefParams,
        headers: IfMatchHeader,
        body: CreateDraftBody,
        response: { 201: VersionView },
      },
    },
    async (request, reply) => {
      const ifMatch = expectedRevision(request.headers['if-match']);
      const { version, validation } = await versions.createDraft(
        changeContextOf(request),
        tenantPrincipalOf(request),
        request.params.org,
        request.body,
        ifMatch,
      );
      return reply
        .code(201)
        .header('location', location(version.orgId, version.number))
        .header('etag', etagOf(version.number))
        .send(versions.view(version, validation));
    },
  );

  app.get(
    VERSIONS,
    {
      config: { access: READERS },
      schema: {
        operationId: 'listSsoVersions',
        tags: ['sso'],
        summary: 'The org’s versions, newest first (ETag: the newest version number)',
        params: OrgRefParams,
        querystring: ListVersionsQuery,
        response: { 200: Page(VersionView, 'versions') },
      },
    },
    async (request, reply) => {
      const page = await versions.list(tenantPrincipalOf(request), request.params.org, request.query);
      return reply
        .header('etag', etagOf(page.headVersion))
        .send({ items: page.items, nextCursor: page.nextCursor });
    },
  );

  app.get(
    `${VERSIONS}/:number`,
    {
      config: { access: READERS },
      schema: {
        operationId: 'getSsoVersion',
        tags: ['sso'],
        summary: 'One version with its newest validation report',
        params: OrgVersionParams,
        response: { 200: VersionView },
      },
    },
    async (request) => versions.get(tenantPrincipalOf(request), request.params.org, request.params.number),
  );

  app.get(
    `${VERSIONS}/:number/diff`,
    {
      config: { access: READERS },
      schema: {
        operationId: 'diffSsoVersion',
        tags: ['sso'],
        summary: 'Field-level diff against another version or the live one (secrets as fingerprints)',
        params: OrgVersionParams,
        querystring: DiffQuery,
        response: { 200: DiffView },
      },
    },
    async (request) =>
      versions.diff(
        tenantPrincipalOf(request),
        request.params.org,
        request.params.number,
        request.query.against,
      ),
  );

  app.post(
    `${VERSIONS}/:number/validate`,
    {
      config: { access: { roles: ['editor', 'approver'] } },
      preValidation: emptyBodyAsObject,
      schema: {
        operationId: 'validateSsoVersion',
        tags: ['sso'],
        summary: 'Re-run validation and store the new report',
        params: OrgVersionParams,
        body: ValidateBody,
        response: { 200: VersionView },
      },
    },
    async (request) =>
      versions.validateAgain(
        changeContextOf(request),
        tenantPrincipalOf(request),
        request.params.org,
        request.params.number,
        request.body.refresh ?? true,
      ),
  );

  app.post(
    `${VERSIONS}/:number/approve`,
    {
      config: { access: APPROVERS },
      preValidation: emptyBodyAsObject,
      schema: {
        operationId: 'approveSsoVersion',
        tags: ['sso'],
        summary: 'Approve a draft (four-eyes; a failed validation needs an overrideReason)',
        description:
          'Approving supersedes older approved versions that were not forwarded yet. The approval records the content hash it approved.',
        params: OrgVersionParams,
        body: ApproveBody,
        response: { 200: VersionView },
      },
    },
    async (request) =>
      versions.approve(
        changeContextOf(request),
        tenantPrincipalOf(request),
        request.params.org,
        request.params.number,
        request.body,
      ),
  );

  app.post(
    `${VERSIONS}/:number/reject`,
    {
      config: { access: APPROVERS },
      schema: {
        operationId: 'rejectSsoVersion',
        tags: ['sso'],
        summary: 'Reject a draft with a comment',
        params: OrgVersionParams,
        body: RejectBody,
        response: { 200: VersionView },
      },
    },
    async (request) =>
      versions.reject(
        changeContextOf(request),
        tenantPrincipalOf(request),
        request.params.org,
        request.params.number,
        request.body.comment,
      ),
  );

  app.post(
    `${VERSIONS}/:number/rollback`,
    {
      config: { access: EDITORS },
      preValidation: emptyBodyAsObject,
      schema: {
        operationId: 'rollbackToSsoVersion',
        tags: ['sso'],
        summary: 'Create a draft equal to this version (secrets included)',
        description:
          'The draft goes through review like any other, unless approve is true and the tenant allows approving a rollback in the same call (then the caller also needs the approver role).',
        params: OrgVersionParams,
        headers: IfMatchHeader,
        body: RollbackBody,
        response: { 201: VersionView },
      },
    },
    async (request, reply) => {
      const view = await versions.rollback(
        changeContextOf(request),
        tenantPrincipalOf(request),
        request.params.org,
        request.params.number,
        request.body,
        expectedRevision(request.headers['if-match']),
      );
      return reply
        .code(201)
        .header('location', location(view.orgId, view.number))
        .header('etag', etagOf(view.number))
        .send(view);
    },
  );

  app.get(
    `${VERSIONS}/:number/cognigy-request`,
    {
      config: { access: READERS },
      schema: {
        operationId: 'getCognigyRequest',
        tags: ['sso'],
        summary: 'Dry run: the exact request forwarding would send (API key and secrets masked)',
        params: OrgVersionParams,
        response: { 200: CognigyRequestView },
      },
    },
    async (request) =>
      versions.cognigyRequest(tenantPrincipalOf(request), request.params.org, request.params.number),
  );

  app.get(
    '/v1/orgs/:org/sso',
    {
      config: { access: READERS },
      schema: {
        operationId: 'getSsoState',
        tags: ['sso'],
        summary: 'The org’s SSO state: desired (latest approved) version, drafts, setup help',
        params: OrgRefParams,
        response: { 200: SsoStateView },
      },
    },
    async (request) => versions.state(tenantPrincipalOf(request), request.params.org),
  );
};
