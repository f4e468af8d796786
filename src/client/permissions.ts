import { allPages, call, type Scope } from './resource.ts';
import type { Page, Permission, PermissionsQuery } from './types.ts';

// The whitelist of an endpoint service: which accounts (`iam:domain::ID`, or an
// organization path) may connect.

const BASE = '/v1/{project_id}/vpc-endpoint-services/{service_id}/permissions';

export type PermissionType = 'domainId' | 'orgPath';

export class PermissionsApi {
  constructor(private readonly scope: Scope) {}

  async list(serviceId: string, query: PermissionsQuery = {}): Promise<Page<Permission>> {
    const answer = await call<{ permissions: Permission[]; total_count: number }>(this.scope, 'GET', BASE, {
      params: { service_id: serviceId },
      query,
    });
    return { items: answer.permissions, total: answer.total_count };
  }

  async listAll(
    serviceId: string,
    filter: Omit<PermissionsQuery, 'limit' | 'offset'> = {},
  ): Promise<Permission[]> {
    return allPages((offset, limit) => this.list(serviceId, { ...filter, offset, limit }), 500);
  }

  /** Adds records (an existing record keeps its description). */
  async add(serviceId: string, permissions: string[], type: PermissionType = 'domainId'): Promise<string[]> {
    return this.act(serviceId, 'add', permissions, type);
  }

  /** Removes records by their text. */
  async remove(
    serviceId: string,
    permissions: string[],
    type: PermissionType = 'domainId',
  ): Promise<string[]> {
    return this.act(serviceId, 'remove', permissions, type);
  }

  private async act(
    serviceId: string,
    action: 'add' | 'remove',
    permissions: string[],
    type: PermissionType,
  ): Promise<string[]> {
    const answer = await call<{ permissions: string[] }>(this.scope, 'POST', `${BASE}/action`, {
      params: { service_id: serviceId },
      body: { action, permissions, permission_type: type },
    });
    return answer.permissions;
  }

  /** Adds records with descriptions; answers the stored records. */
  async batchCreate(
    serviceId: string,
    records: { permission: string; description: string }[],
    type: PermissionType = 'domainId',
  ): Promise<Permission[]> {
    const answer = await call<{ permissions: Permission[] }>(this.scope, 'POST', `${BASE}/batch-create`, {
      params: { service_id: serviceId },
      body: { permissions: records, permission_type: type },
    });
    return answer.permissions;
  }

  /** Removes records by id; answers the removed records. */
  async batchDelete(serviceId: string, ids: string[]): Promise<Permission[]> {
    const answer = await call<{ permissions: Permission[] }>(this.scope, 'POST', `${BASE}/batch-delete`, {
      params: { service_id: serviceId },
      body: { permissions: ids.map((id) => ({ id })) },
    });
    return answer.permissions;
  }

  async describe(serviceId: string, permissionId: string, description: string): Promise<Permission> {
    const answer = await call<{ permissions: Permission[] }>(this.scope, 'PUT', `${BASE}/{permission_id}`, {
      params: { service_id: serviceId, permission_id: permissionId },
      body: { permission: { description } },
    });
    const [record] = answer.permissions;
    if (!record) throw new Error('the permission update answered no record');
    return record;
  }
}
