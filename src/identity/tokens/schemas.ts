import { Type, type Static } from 'typebox';
import { apiError } from '../../errors/api-error.ts';
import type { PasswordLogin } from '../login.ts';

// The body of Keystone's password method, as the SDKs and Terraform providers send it.

const Named = Type.Object(
  { id: Type.Optional(Type.String({ maxLength: 64 })), name: Type.Optional(Type.String({ maxLength: 64 })) },
  { additionalProperties: false },
);

export const TokenRequest = Type.Object(
  {
    auth: Type.Object(
      {
        identity: Type.Object(
          {
            methods: Type.Array(Type.String(), { minItems: 1 }),
            password: Type.Object(
              {
                user: Type.Object(
                  {
                    id: Type.Optional(Type.String({ maxLength: 64 })),
                    name: Type.Optional(Type.String({ maxLength: 64 })),
                    password: Type.String({ maxLength: 256 }),
                    domain: Type.Optional(Named),
                  },
                  { additionalProperties: false },
                ),
              },
              { additionalProperties: false },
            ),
          },
          { additionalProperties: false },
        ),
        scope: Type.Optional(
          Type.Object(
            {
              project: Type.Optional(
                Type.Object(
                  {
                    id: Type.Optional(Type.String({ maxLength: 64 })),
                    name: Type.Optional(Type.String({ maxLength: 64 })),
                    domain: Type.Optional(Named),
                  },
                  { additionalProperties: false },
                ),
              ),
              domain: Type.Optional(Named),
            },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
type TokenRequest = Static<typeof TokenRequest>;

export function toLogin(body: TokenRequest): PasswordLogin {
  const { identity, scope } = body.auth;
  if (!identity.methods.includes('password')) {
    throw apiError('EndPoint.0002', 'Parameter error: only the password method is supported.');
  }
  const user = identity.password.user;
  if (user.id === undefined && (user.name === undefined || user.domain === undefined)) {
    throw apiError('EndPoint.0002', 'Parameter error: the user needs an id, or a name and a domain.');
  }
  let loginScope: PasswordLogin['scope'];
  if (scope?.project) {
    if (scope.project.id === undefined && scope.project.name === undefined) {
      throw apiError('EndPoint.0002', 'Parameter error: the project scope needs an id or a name.');
    }
    loginScope = { kind: 'project', id: scope.project.id, name: scope.project.name };
  } else if (scope?.domain) {
    loginScope = { kind: 'domain', id: scope.domain.id, name: scope.domain.name };
  }
  return {
    userId: user.id,
    userName: user.name,
    password: user.password,
    domainId: user.domain?.id,
    domainName: user.domain?.name,
    scope: loginScope,
  };
}
