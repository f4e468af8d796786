import type { Command } from 'commander';
import type { Quota, TaggedResource, TaggedResourceRow, TagValues } from '../client/types.ts';
import { act, clientCommand, group } from './context.ts';
import type { Column } from './output.ts';
import { collect, parseCount, parseTag, parseTagValues, str } from './parse.ts';
import { UsageError } from './usage.ts';

// tags (of services and endpoints) and quotas.

const TYPES: Record<string, TaggedResource> = {
  services: 'endpoint_service',
  service: 'endpoint_service',
  endpoint_service: 'endpoint_service',
  endpoints: 'endpoint',
  endpoint: 'endpoint',
};

function resourceType(value: unknown): TaggedResource {
  const type = TYPES[String(value)];
  if (!type) throw new UsageError(`invalid resource type '${String(value)}': services or endpoints`);
  return type;
}

const TAG_COLUMNS: Column<TagValues>[] = [
  { header: 'KEY', get: (t) => t.key },
  { header: 'VALUES', get: (t) => t.values },
];

const RESOURCE_COLUMNS: Column<TaggedResourceRow>[] = [
  { header: 'ID', get: (r) => r.resource_id },
  { header: 'NAME', get: (r) => r.resource_name },
  { header: 'TAGS', get: (r) => r.tags.map((t) => `${t.key}=${t.value}`) },
];

const QUOTA_COLUMNS: Column<Quota>[] = [
  { header: 'TYPE', get: (q) => q.type },
  { header: 'USED', get: (q) => q.used },
  { header: 'QUOTA', get: (q) => q.quota },
];

function registerTags(program: Command): void {
  const tags = group(
    program,
    'tags',
    'tags of endpoint services and endpoints (TYPE: services or endpoints)',
  );
  act(
    clientCommand(tags, 'list <type>', 'the tag keys and values used in the project'),
    async (ctx, [type]) => ctx.print.list(await ctx.client.tags.projectTags(resourceType(type)), TAG_COLUMNS),
  );
  act(
    clientCommand(tags, 'add <type> <id> <KEY=VALUE...>', 'tag a service or an endpoint'),
    async (ctx, [type, id, specs]) =>
      ctx.client.tags.add(
        resourceType(type),
        String(id),
        (specs as string[]).map((s) => parseTag(s)),
      ),
  );
  act(
    clientCommand(
      tags,
      'remove <type> <id> <KEY[=VALUE]...>',
      'remove tags (a key alone: whatever its value)',
    ),
    async (ctx, [type, id, specs]) =>
      ctx.client.tags.remove(
        resourceType(type),
        String(id),
        (specs as string[]).map((s) => parseTag(s, true)),
      ),
  );
  act(
    clientCommand(tags, 'filter <type>', 'find services or endpoints by tags')
      .option(
        '--tag <KEY=V1,V2>',
        'must have the key with one of the values (repeatable; all must hold)',
        collect,
      )
      .option('--any-tag <KEY=V1,V2>', 'at least one of these must hold (repeatable)', collect)
      .option('--not-tag <KEY=V1,V2>', 'must not have (repeatable)', collect)
      .option('--untagged', 'only resources without any tag')
      .option('--name <text>', 'only resources whose name contains this')
      .option('--count', 'print the number of matches only')
      .option('--limit <n>', 'at most this many (default 1000)')
      .option('--offset <n>', 'skip this many'),
    async (ctx, [type], o) => {
      const values = (v: unknown) => (v as string[] | undefined)?.map(parseTagValues);
      const name = str(o.name);
      const query = {
        ...(o.tag ? { tags: values(o.tag) } : {}),
        ...(o.anyTag ? { tags_any: values(o.anyTag) } : {}),
        ...(o.notTag ? { not_tags: values(o.notTag) } : {}),
        ...(o.untagged ? { without_any_tag: true } : {}),
        ...(name !== undefined ? { matches: [{ key: 'resource_name' as const, value: name }] } : {}),
      };
      if (o.count) {
        ctx.print.data({ total_count: await ctx.client.tags.count(resourceType(type), query) });
        return;
      }
      const page = await ctx.client.tags.filter(resourceType(type), query, {
        limit: parseCount('--limit', o.limit) ?? 1000,
        offset: parseCount('--offset', o.offset) ?? 0,
      });
      ctx.print.list(page.items, RESOURCE_COLUMNS);
    },
  );
}

function registerQuotas(program: Command): void {
  const quotas = group(program, 'quotas', "the project's quotas and usage");
  act(
    clientCommand(quotas, 'list', 'show quotas').option('--type <type>', 'services or endpoints'),
    async (ctx, _, o) =>
      ctx.print.list(
        await ctx.client.quotas.list(o.type === undefined ? undefined : resourceType(o.type)),
        QUOTA_COLUMNS,
      ),
  );
}

export function registerTagCommands(program: Command): void {
  registerTags(program);
  registerQuotas(program);
}
