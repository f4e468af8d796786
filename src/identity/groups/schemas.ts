import { Type } from 'typebox';

const Id = Type.String({ minLength: 1, maxLength: 64 });

export const GroupIdParams = Type.Object({ group_id: Id });
export const MemberParams = Type.Object({ group_id: Id, user_id: Id });

const GroupFields = {
  name: Type.String({ maxLength: 64 }),
  description: Type.Optional(Type.String({ maxLength: 255 })),
  domain_id: Type.Optional(Type.String({ maxLength: 64 })),
};

export const CreateGroupBody = Type.Object(
  { group: Type.Object(GroupFields, { additionalProperties: false }) },
  { additionalProperties: false },
);

export const UpdateGroupBody = Type.Object(
  {
    group: Type.Object(
      { ...GroupFields, name: Type.Optional(GroupFields.name) },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const ListGroupsQuery = Type.Object({
  domain_id: Type.Optional(Type.String({ maxLength: 64 })),
  name: Type.Optional(Type.String({ maxLength: 64 })),
});

export interface GroupInput {
  name?: string | undefined;
  description?: string | undefined;
  domain_id?: string | undefined;
}
