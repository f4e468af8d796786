import type { App } from '../api/types.ts';
import type { Authenticator } from '../auth/authenticator.ts';
import { LoginThrottle } from '../auth/login-throttle.ts';
import { registerCatalogRoutes } from './catalog/routes.ts';
import { registerCredentialRoutes } from './credentials/routes.ts';
import { registerGrantRoutes } from './grants/routes.ts';
import { registerGroupRoutes } from './groups/routes.ts';
import { registerProjectRoutes } from './projects/routes.ts';
import { registerRoleRoutes } from './roles/routes.ts';
import { registerTokenRoutes, type TokenDeps } from './tokens/routes.ts';
import { registerUserRoutes } from './users/routes.ts';

/**
 * The IAM (Keystone v3 and IAM v3.0) subset: sign-in, the catalog and project
 * look-ups every SDK makes, and the management of users, groups, custom
 * policies, grants and access keys (docs/iam.md).
 */
export function registerIdentityRoutes(app: App, deps: TokenDeps, authenticator: Authenticator): void {
  // One per API process, shared by every check of a password (a login, a password
  // change), so failures anywhere count toward one lockout; counted in this
  // node's memory (docs/authentication.md).
  const throttle = new LoginThrottle(deps.config.login_lockout, deps.clock);
  registerTokenRoutes(app, deps, throttle);
  registerCatalogRoutes(app, deps.config, authenticator);
  registerProjectRoutes(app, deps.identity);
  registerUserRoutes(app, deps, throttle);
  registerGroupRoutes(app, deps);
  registerRoleRoutes(app, deps);
  registerGrantRoutes(app, deps);
  registerCredentialRoutes(app, deps);
}
