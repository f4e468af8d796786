import type { GroupRow } from './repository.ts';

/** A group as Keystone shows it; `create_time` is epoch milliseconds, as IAM sends it. */
export function groupView(base: string, g: GroupRow) {
  return {
    id: g.id,
    name: g.name,
    description: g.description,
    domain_id: g.domain_id,
    create_time: g.created_at,
    links: { self: `${base}/v3/groups/${g.id}`, previous: null, next: null },
  };
}
