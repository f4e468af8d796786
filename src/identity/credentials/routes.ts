import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { App } from '../../api/types.ts';
import { ctxOf } from '../../api/types.ts';
import { formatKeystoneTime } from '../../context/clock.ts';
import type { Principal } from '../../context/request-context.ts';
import type { IdentityDeps } from '../shared/deps.ts';
import type { AccessKeyRow } from './repository.ts';
import * as keys from './service.ts';

// Permanent access keys (/v3.0/OS-CREDENTIAL/credentials). A key's own user
// needs no permission for any of these; for anyone else's, the action applies.

const tags = ['iam'];
const AkParams = Type.Object({ access_key: Type.String({ minLength: 1, maxLength: 128 }) });

const CreateBody = Type.Object(
  {
    credential: Type.Object(
      {
        user_id: Type.String({ minLength: 1, maxLength: 64 }),
        description: Type.Optional(Type.String({ maxLength: 255 })),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

const UpdateBody = Type.Object(
  {
    credential: Type.Object(
      {
        status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('inactive')])),
        description: Type.Optional(Type.String({ maxLength: 255 })),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

const ListQuery = Type.Object({ user_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) });

function view(k: AccessKeyRow) {
  return {
    user_id: k.user_id,
    access: k.ak,
    status: k.status,
    create_time: formatKeystoneTime(k.created_at),
    description: k.description,
  };
}

/** The body is not validated yet when this runs: anything but the caller's own id is "not self". */
function createsOwnKey(request: FastifyRequest, principal: Principal): boolean {
  const body = request.body as { credential?: { user_id?: unknown } } | undefined;
  return body?.credential?.user_id === principal.userId;
}

function listsOwnKeys(request: FastifyRequest, principal: Principal): boolean {
  const userId = (request.query as { user_id?: unknown }).user_id;
  return userId === undefined || userId === principal.userId;
}

export function registerCredentialRoutes(app: App, deps: IdentityDeps): void {
  const ownKey = async (request: FastifyRequest, principal: Principal) => {
    const ak = (request.params as { access_key?: unknown }).access_key;
    return typeof ak === 'string' && (await keys.isOwnKey(deps, principal, ak));
  };

  app.post(
    '/v3.0/OS-CREDENTIAL/credentials',
    {
      config: { action: 'iam:credentials:createCredential', self: createsOwnKey },
      schema: {
        tags,
        summary: 'Create a permanent access key (the secret is shown only here)',
        body: CreateBody,
      },
    },
    async (request, reply) => {
      const { user_id, description } = request.body.credential;
      const row = await keys.createKey(deps, ctxOf(request).principal, user_id, description);
      return reply.code(201).send({ credential: { ...view(row), secret: row.sk } });
    },
  );

  app.get(
    '/v3.0/OS-CREDENTIAL/credentials',
    {
      config: { action: 'iam:credentials:listCredentials', self: listsOwnKeys },
      schema: {
        tags,
        summary: "List a user's permanent access keys (the caller's without user_id)",
        querystring: ListQuery,
      },
    },
    async (request) => {
      const { principal } = ctxOf(request);
      const rows = await keys.listKeys(deps, principal, request.query.user_id ?? principal.userId);
      return { credentials: rows.map(view) };
    },
  );

  app.get(
    '/v3.0/OS-CREDENTIAL/credentials/:access_key',
    {
      config: { action: 'iam:credentials:getCredential', self: ownKey },
      schema: { tags, summary: 'Show a permanent access key', params: AkParams },
    },
    async (request) => {
      const row = await keys.getKey(deps, ctxOf(request).principal, request.params.access_key);
      return { credential: { ...view(row), last_use_time: null } };
    },
  );

  app.put(
    '/v3.0/OS-CREDENTIAL/credentials/:access_key',
    {
      config: { action: 'iam:credentials:updateCredential', self: ownKey },
      schema: {
        tags,
        summary: 'Activate, deactivate or describe a permanent access key',
        params: AkParams,
        body: UpdateBody,
      },
    },
    async (request) => {
      const row = await keys.updateKey(
        deps,
        ctxOf(request).principal,
        request.params.access_key,
        request.body.credential,
      );
      return { credential: view(row) };
    },
  );

  app.delete(
    '/v3.0/OS-CREDENTIAL/credentials/:access_key',
    {
      config: { action: 'iam:credentials:deleteCredential', self: ownKey },
      schema: { tags, summary: 'Delete a permanent access key', params: AkParams },
    },
    async (request, reply) => {
      await keys.deleteKey(deps, ctxOf(request).principal, request.params.access_key);
      return reply.code(204).send();
    },
  );
}
