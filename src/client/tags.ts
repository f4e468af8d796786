import { call, type Scope } from './resource.ts';
import type {
  Page,
  TaggedResource,
  TaggedResourceRow,
  TagInput,
  TagResourceQuery,
  TagValues,
} from './types.ts';

// Tags of endpoint services and endpoints, and the search by tags.

export class TagsApi {
  constructor(private readonly scope: Scope) {}

  async add(type: TaggedResource, id: string, tags: TagInput[]): Promise<void> {
    await this.act(type, id, 'create', tags);
  }

  /** A tag without a value removes the key whatever its value. */
  async remove(type: TaggedResource, id: string, tags: TagInput[]): Promise<void> {
    await this.act(type, id, 'delete', tags);
  }

  private async act(type: TaggedResource, id: string, action: string, tags: TagInput[]): Promise<void> {
    await call(this.scope, 'POST', '/v1/{project_id}/{type}/{id}/tags/action', {
      params: { type, id },
      body: { action, tags },
    });
  }

  /** Every tag key used on the project's resources of `type`, with its values. */
  async projectTags(type: TaggedResource): Promise<TagValues[]> {
    const answer = await call<{ tags: TagValues[] }>(this.scope, 'GET', '/v1/{project_id}/{type}/tags', {
      params: { type },
    });
    return answer.tags;
  }

  async filter(
    type: TaggedResource,
    query: TagResourceQuery,
    page: { limit?: number; offset?: number } = {},
  ): Promise<Page<TaggedResourceRow>> {
    const answer = await call<{ resources?: TaggedResourceRow[]; total_count: number }>(
      this.scope,
      'POST',
      '/v1/{project_id}/{type}/resource_instances/action',
      { params: { type }, body: { ...query, ...page, action: 'filter' } },
    );
    return { items: answer.resources ?? [], total: answer.total_count };
  }

  async count(type: TaggedResource, query: TagResourceQuery): Promise<number> {
    const answer = await call<{ total_count: number }>(
      this.scope,
      'POST',
      '/v1/{project_id}/{type}/resource_instances/action',
      { params: { type }, body: { ...query, action: 'count' } },
    );
    return answer.total_count;
  }
}
