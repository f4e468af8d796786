import type { AppServices } from '../app.ts';
import type { App } from '../types.ts';

export function registerVpcRoutes(_app: App, _services: AppServices): void {}
