// Durable background jobs: producers write rows with enqueueJob() in the same
// transaction as the state change that needs them; a JobWorker runs them.
export { enqueueJob, jobRowOf, cancelJobs, hasPendingJob, type NewJob } from './queue.ts';
export {
  DEFAULT_HANDLER_TIMEOUT_MS,
  JobWorker,
  UNKNOWN_KIND_DELAY_MS,
  type JobWorkerOptions,
} from './worker.ts';
export type { ClaimedJob, GiveUpHandler, JobHandler, JobLogger } from './types.ts';
