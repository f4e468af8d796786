import { ApiError } from '../errors/api-error.ts';
import { catalog, wireCode, type ErrorCode } from '../errors/catalog.ts';
import type { GiveUpHandler, JobHandler } from '../jobs/index.ts';
import type { VpcepDeps } from './deps.ts';
import { endpointJobs } from './endpoints/jobs.ts';
import { serviceJobs } from './services/jobs.ts';
import type { ErrorEntry } from './shared/present.ts';

export interface JobRegistry {
  handlers: Record<string, JobHandler>;
  onGiveUp: Record<string, GiveUpHandler>;
}

/** The handlers of every asynchronous VPCEP transition, for the job worker. */
export function vpcepJobs(deps: VpcepDeps): JobRegistry {
  const s = serviceJobs(deps);
  const e = endpointJobs(deps);
  return { handlers: { ...s.handlers, ...e.handlers }, onGiveUp: { ...s.onGiveUp, ...e.onGiveUp } };
}

/** An error entry with the catalog's own message for `code`. */
export function catalogEntry(key: ErrorCode): ErrorEntry {
  return { error_code: wireCode(key), error_message: catalog[key].message };
}

/**
 * What a tenant sees in a resource's `error` list when its job failed for good:
 * the catalog text of the ApiError that stopped it, else of `fallback`. Never the
 * error's own message, which for a driver error names SQL, constraints or hosts;
 * the worker has logged that with the job id.
 */
export function tenantErrorEntry(error: unknown, fallback: ErrorCode): ErrorEntry {
  return catalogEntry(error instanceof ApiError ? error.key : fallback);
}
