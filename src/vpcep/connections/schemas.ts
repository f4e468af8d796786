import { Type, type Static } from 'typebox';
import { ENDPOINT_STATUSES } from '../shared/lifecycle.ts';
import { listQuery } from '../shared/pagination.ts';

// Wire shapes of the connection operations (api-surface §3.2 items 8–10).

const strict = { additionalProperties: false } as const;

export const ServiceParams = Type.Object({
  project_id: Type.String(),
  vpc_endpoint_service_id: Type.String({ maxLength: 64 }),
});

export const ConnectionsQuery = listQuery(1000, {
  id: Type.Optional(Type.String({ maxLength: 64 })),
  // A string in the SDK; its integer-ness is checked by hand so a bad one gets
  // EndPoint.0021 with a clear message rather than a schema error.
  marker_id: Type.Optional(Type.String({ maxLength: 32 })),
  status: Type.Optional(Type.Union(ENDPOINT_STATUSES.map((s) => Type.Literal(s)))),
});
export type ConnectionsQuery = Static<typeof ConnectionsQuery>;

// `action` is a plain string here so an unknown action is answered with the
// reference's own code (EndPoint.2027) instead of a generic parameter error;
// the same goes for the number of endpoints (EndPoint.2031).
export const ConnectionActionBody = Type.Object(
  {
    action: Type.String({ maxLength: 64 }),
    endpoints: Type.Array(Type.String({ maxLength: 64 })),
  },
  strict,
);

export const ConnectionDescriptionBody = Type.Object(
  {
    connections: Type.Array(
      Type.Object({ id: Type.String({ maxLength: 64 }), description: Type.String() }, strict),
      { minItems: 1 },
    ),
  },
  strict,
);

const ErrorEntry = Type.Object({ error_code: Type.String(), error_message: Type.String() });

export const ConnectionView = Type.Object({
  id: Type.String(),
  marker_id: Type.Integer(),
  created_at: Type.String(),
  updated_at: Type.String(),
  domain_id: Type.String(),
  error: Type.Array(ErrorEntry),
  status: Type.String(),
  description: Type.String(),
});

export const ConnectionList = Type.Object({
  connections: Type.Array(ConnectionView),
  total_count: Type.Integer(),
});
export const Connections = Type.Object({ connections: Type.Array(ConnectionView) });
