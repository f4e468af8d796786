import type { App } from '../api/types.ts';
import { registerConnectionRoutes } from './connections/routes.ts';
import type { VpcepDeps } from './deps.ts';
import { registerEndpointRoutes } from './endpoints/routes.ts';
import { registerPermissionRoutes } from './permissions/routes.ts';
import { registerQuotaRoutes } from './quotas/routes.ts';
import { registerPublicRoutes } from './services/public-routes.ts';
import { registerServiceRoutes } from './services/routes.ts';
import { registerTagRoutes } from './tags/routes.ts';

/** Every VPCEP operation of the official client, under /v1/{project_id} (and /v2 for upgrades). */
export function registerVpcepRoutes(app: App, deps: VpcepDeps): void {
  // Static segments (public, describe) must be registered by the same router as
  // the parametric `{id}` routes; find-my-way prefers static matches.
  registerPublicRoutes(app, deps);
  registerServiceRoutes(app, deps);
  registerConnectionRoutes(app, deps);
  registerPermissionRoutes(app, deps);
  registerEndpointRoutes(app, deps);
  registerQuotaRoutes(app, deps);
  registerTagRoutes(app, deps);
}
