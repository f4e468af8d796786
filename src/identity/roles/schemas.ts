import { Type } from 'typebox';

export const RoleIdParams = Type.Object({ role_id: Type.String({ minLength: 1, maxLength: 64 }) });

const Paging = {
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  per_page: Type.Optional(Type.Integer({ minimum: 1, maximum: 300 })),
};

export const ListRolesQuery = Type.Object({
  name: Type.Optional(Type.String({ maxLength: 128 })),
  domain_id: Type.Optional(Type.String({ maxLength: 64 })),
  permission_type: Type.Optional(Type.String({ maxLength: 16 })),
  display_name: Type.Optional(Type.String({ maxLength: 128 })),
  type: Type.Optional(Type.String({ maxLength: 16 })),
  catalog: Type.Optional(Type.String({ maxLength: 64 })),
  ...Paging,
});

export const ListCustomQuery = Type.Object(Paging);

/** The `policy` document is checked by the service, which answers with IAM's codes. */
const RoleFields = {
  display_name: Type.String({ maxLength: 256 }),
  type: Type.String({ maxLength: 16 }),
  description: Type.String({ maxLength: 1024 }),
  description_cn: Type.Optional(Type.String({ maxLength: 1024 })),
  policy: Type.Unknown(),
};

export const CreatePolicyBody = Type.Object(
  { role: Type.Object(RoleFields, { additionalProperties: false }) },
  { additionalProperties: false },
);

export const UpdatePolicyBody = Type.Object(
  {
    role: Type.Object(
      {
        display_name: Type.Optional(RoleFields.display_name),
        type: Type.Optional(RoleFields.type),
        description: Type.Optional(RoleFields.description),
        description_cn: Type.Optional(RoleFields.description_cn),
        policy: Type.Optional(Type.Unknown()),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export interface PolicyInput {
  display_name?: string | undefined;
  type?: string | undefined;
  description?: string | undefined;
  description_cn?: string | undefined;
  policy?: unknown;
}
