import { Type, type Static } from 'typebox';
import { TagSchema } from '../shared/tags.ts';

// Wire shapes of the three tag operations (api-surface §3.5, items 31–33).

const strict = { additionalProperties: false } as const;

export const ProjectParams = Type.Object({ project_id: Type.String() });
export const ResourceParams = Type.Object({
  project_id: Type.String(),
  resource_id: Type.String({ maxLength: 64 }),
});

// `action` is checked by hand so an unknown one gets EndPoint.0007; tags are
// validated by shared/tags.ts so each rule answers with its own code (3066–3073).
export const TagActionBody = Type.Object(
  {
    action: Type.String({ maxLength: 64 }),
    tags: Type.Optional(Type.Array(TagSchema)),
  },
  strict,
);
export type TagActionBody = Static<typeof TagActionBody>;

const TagValues = Type.Object({ key: Type.String(), values: Type.Array(Type.String()) }, strict);
export type TagValues = Static<typeof TagValues>;

const Match = Type.Object(
  { key: Type.Literal('resource_name'), value: Type.String({ maxLength: 255 }) },
  strict,
);

// Terraform sends `limit` as a string ("1000") and `offset` as a number; both
// forms are accepted and range-checked by hand (EndPoint.0006 / EndPoint.0010).
const TextOrInteger = Type.Union([Type.String({ maxLength: 20 }), Type.Integer()]);

export const ResourceQueryBody = Type.Object(
  {
    action: Type.String({ maxLength: 64 }),
    tags: Type.Optional(Type.Array(TagValues)),
    tags_any: Type.Optional(Type.Array(TagValues)),
    not_tags: Type.Optional(Type.Array(TagValues)),
    not_tags_any: Type.Optional(Type.Array(TagValues)),
    sys_tags: Type.Optional(Type.Array(TagValues)),
    matches: Type.Optional(Type.Array(Match)),
    without_any_tag: Type.Optional(Type.Boolean()),
    limit: Type.Optional(TextOrInteger),
    offset: Type.Optional(TextOrInteger),
  },
  strict,
);
export type ResourceQueryBody = Static<typeof ResourceQueryBody>;

const Tag = Type.Object({ key: Type.String(), value: Type.String() });

export const ProjectTags = Type.Object({
  tags: Type.Array(Type.Object({ key: Type.String(), values: Type.Array(Type.String()) })),
});

export const ResourceList = Type.Object({
  resources: Type.Optional(
    Type.Array(
      Type.Object({
        resource_id: Type.String(),
        resource_name: Type.String(),
        resource_detail: Type.Null(),
        tags: Type.Array(Tag),
      }),
    ),
  ),
  total_count: Type.Integer(),
});
