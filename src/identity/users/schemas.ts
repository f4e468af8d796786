import { Type, type Static } from 'typebox';

// Request bodies of the user APIs, as the official IAM client sends them. Lengths
// here only bound the input; the rules (name characters, password strength) are
// the service's, which answers with IAM's codes.

const Text = (max: number) => Type.String({ maxLength: max });

export const UserIdParams = Type.Object({ user_id: Type.String({ minLength: 1, maxLength: 64 }) });

/** The fields of IAM's own user APIs (/v3.0/OS-USER/users), all optional. */
const OsUserFields = {
  name: Type.Optional(Text(64)),
  password: Type.Optional(Text(128)),
  email: Type.Optional(Text(255)),
  areacode: Type.Optional(Text(16)),
  phone: Type.Optional(Text(32)),
  enabled: Type.Optional(Type.Boolean()),
  pwd_status: Type.Optional(Type.Boolean()),
  xuser_type: Type.Optional(Text(64)),
  xuser_id: Type.Optional(Text(128)),
  access_mode: Type.Optional(Text(32)),
  description: Type.Optional(Text(255)),
};

/** POST /v3.0/OS-USER/users: a name and the account are required. */
export const CreateUserBody = Type.Object(
  {
    user: Type.Object(
      { ...OsUserFields, name: Text(64), domain_id: Text(64) },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

/** POST /v3/users */
export const KeystoneCreateUserBody = Type.Object(
  {
    user: Type.Object(
      {
        name: Text(64),
        domain_id: Type.Optional(Text(64)),
        password: Type.Optional(Text(128)),
        enabled: Type.Optional(Type.Boolean()),
        description: Type.Optional(Text(255)),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

/** PUT /v3.0/OS-USER/users/{user_id} */
export const UpdateUserBody = Type.Object(
  { user: Type.Object(OsUserFields, { additionalProperties: false }) },
  { additionalProperties: false },
);

/** PATCH /v3/users/{user_id} */
export const KeystoneUpdateUserBody = Type.Object(
  {
    user: Type.Object(
      {
        name: Type.Optional(Text(64)),
        password: Type.Optional(Text(128)),
        enabled: Type.Optional(Type.Boolean()),
        description: Type.Optional(Text(255)),
        domain_id: Type.Optional(Text(64)),
        pwd_status: Type.Optional(Type.Boolean()),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

/** PUT /v3.0/OS-USER/users/{user_id}/info (the caller's own) */
export const UpdateUserInfoBody = Type.Object(
  {
    user: Type.Object(
      { email: Type.Optional(Text(255)), mobile: Type.Optional(Text(32)) },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

/** POST /v3/users/{user_id}/password (the caller's own) */
export const ChangePasswordBody = Type.Object(
  {
    user: Type.Object({ original_password: Text(128), password: Text(128) }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);

export const ListUsersQuery = Type.Object({
  domain_id: Type.Optional(Text(64)),
  enabled: Type.Optional(Type.Boolean()),
  name: Type.Optional(Text(64)),
  password_expires_at: Type.Optional(Text(64)),
});

export type ListUsersQuery = Static<typeof ListUsersQuery>;

/** What the service needs to create or change a user, from either API family. */
export interface UserInput {
  name?: string | undefined;
  password?: string | undefined;
  enabled?: boolean | undefined;
  description?: string | undefined;
  email?: string | undefined;
  /** The account the body names, when it names one: it must be the caller's. */
  domain_id?: string | undefined;
}
