import type { GiveUpHandler, JobHandler } from '../jobs/index.ts';
import type { VpcepDeps } from './deps.ts';
import { endpointJobs } from './endpoints/jobs.ts';
import { serviceJobs } from './services/jobs.ts';

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
