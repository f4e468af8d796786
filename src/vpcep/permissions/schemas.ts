import { Type, type Static } from 'typebox';
import { listQuery } from '../shared/pagination.ts';

// Wire shapes of the whitelist operations (api-surface §3.2 items 11–15).

const strict = { additionalProperties: false } as const;

export const ServiceParams = Type.Object({
  project_id: Type.String(),
  vpc_endpoint_service_id: Type.String({ maxLength: 64 }),
});

export const PermissionParams = Type.Object({
  project_id: Type.String(),
  vpc_endpoint_service_id: Type.String({ maxLength: 64 }),
  permission_id: Type.String({ maxLength: 64 }),
});

// Decision #18: whitelist lists page 0–500 (a bigger limit is EndPoint.0006).
export const PermissionsQuery = listQuery(500, {
  permission: Type.Optional(Type.String({ maxLength: 1100 })),
});
export type PermissionsQuery = Static<typeof PermissionsQuery>;

const PermissionType = Type.Union([Type.Literal('domainId'), Type.Literal('orgPath')]);

// Records are checked by hand (format.ts) so a bad one gets EndPoint.3002 and an
// empty list EndPoint.3036 rather than a generic schema error; the same goes
// for `action` (EndPoint.3035).
export const PermissionActionBody = Type.Object(
  {
    permissions: Type.Array(Type.String({ maxLength: 1100 })),
    permission_type: Type.Optional(PermissionType),
    action: Type.String({ maxLength: 64 }),
  },
  strict,
);

export const BatchCreateBody = Type.Object(
  {
    permissions: Type.Array(
      Type.Object(
        {
          permission: Type.String({ maxLength: 1100 }),
          // Required by the SDK model; treated as '' when a hand-written call omits it.
          description: Type.Optional(Type.String()),
        },
        strict,
      ),
    ),
    permission_type: Type.Optional(PermissionType),
  },
  strict,
);

export const BatchDeleteBody = Type.Object(
  { permissions: Type.Array(Type.Object({ id: Type.String({ maxLength: 64 }) }, strict)) },
  strict,
);

export const DescribePermissionBody = Type.Object(
  { permission: Type.Object({ description: Type.String() }, strict) },
  strict,
);

export const PermissionView = Type.Object({
  id: Type.String(),
  permission: Type.String(),
  permission_type: Type.String(),
  description: Type.String(),
  created_at: Type.String(),
});

export const PermissionList = Type.Object({
  permissions: Type.Array(PermissionView),
  total_count: Type.Integer(),
});
export const PermissionRows = Type.Object({ permissions: Type.Array(PermissionView) });
export const PermissionEcho = Type.Object({
  permissions: Type.Array(Type.String()),
  permission_type: Type.String(),
});
