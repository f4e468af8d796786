import { call, type Scope } from './resource.ts';
import type { Project } from './types.ts';

// The IAM subset: the caller's projects and account, and the API versions.

export interface Domain {
  id: string;
  name: string;
}

export interface ApiVersion {
  id: string;
  status: string;
}

export class IdentityApi {
  constructor(private readonly scope: Scope) {}

  /** The caller's projects, optionally by name (what SDKs do with `withRegion`). */
  async projects(name?: string): Promise<Project[]> {
    return (await call<{ projects: Project[] }>(this.scope, 'GET', '/v3/projects', { query: { name } }))
      .projects;
  }

  /** The projects the caller can scope a token to (what a console's project picker lists). */
  async authProjects(): Promise<Project[]> {
    return (await call<{ projects: Project[] }>(this.scope, 'GET', '/v3/auth/projects')).projects;
  }

  async domains(): Promise<Domain[]> {
    return (await call<{ domains: Domain[] }>(this.scope, 'GET', '/v3/auth/domains')).domains;
  }

  /** GET /: the API versions (needs no credentials). */
  async versions(): Promise<ApiVersion[]> {
    return (await call<{ versions: ApiVersion[] }>(this.scope, 'GET', '/')).versions;
  }
}
