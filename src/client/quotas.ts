import { call, type Scope } from './resource.ts';
import type { Quota } from './types.ts';

export class QuotasApi {
  constructor(private readonly scope: Scope) {}

  async list(type?: 'endpoint_service' | 'endpoint'): Promise<Quota[]> {
    const answer = await call<{ quotas: { resources: Quota[] } }>(
      this.scope,
      'GET',
      '/v1/{project_id}/quotas',
      {
        query: { type },
      },
    );
    return answer.quotas.resources;
  }
}
