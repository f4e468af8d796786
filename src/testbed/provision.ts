import type { AccountConfig } from '../config/schema.ts';
import { requestId } from '../context/ids.ts';
import type { RequestContext, RequestLog } from '../context/request-context.ts';
import { ApiError } from '../errors/api-error.ts';
import type { ReadinessCheck } from '../health/readiness.ts';
import { actOnConnection } from '../vpcep/connections/operations.ts';
import type { VpcepChange, VpcepDeps } from '../vpcep/deps.ts';
import { createEndpoint } from '../vpcep/endpoints/create.ts';
import { getEndpointById } from '../vpcep/endpoints/repository.ts';
import { changePermissions } from '../vpcep/permissions/operations.ts';
import { getServiceById } from '../vpcep/services/repository.ts';
import { createService } from '../vpcep/services/service.ts';
import { TestbedError } from './errors.ts';
import {
  declaresTestbed,
  planTestbed,
  type EndpointPlan,
  type Owner,
  type Plan,
  type ServicePlan,
} from './plan.ts';
import { claimRecord, readRecord, writeRecord } from './repository.ts';

// Carries out the declared test bed through the API's own operations (quotas,
// validation, tenancy and lifecycle jobs as for any tenant call), each
// declaration once: its record (repository.ts) is written in the transaction
// that creates the resource, and a declaration with a record is never acted on
// again, so a restart neither duplicates a resource nor brings back one a user
// deleted. Services are created during start (their errors stop it); endpoints
// need their service `available`, which its job decides, so they are created in
// the background once it is, and accepted for the provider when declared so.

export type TestbedState = 'pending' | 'ready' | 'failed';

interface EndpointRecord {
  id: string;
  /** `pending` until the provider side has accepted it (when the declaration asks for that). */
  accept: 'pending' | 'done';
}

function parseRecord<T>(text: string | undefined): T | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

function contextOf(owner: Owner, log: RequestLog): RequestContext {
  return {
    requestId: requestId(),
    // The configuration acts for the account, like one of its users would.
    principal: {
      userId: '',
      userName: 'vpcep configuration',
      domainId: owner.domainId,
      domainName: owner.accountName,
      scopeProjectId: owner.projectId,
      method: 'aksk',
    },
    projectId: owner.projectId,
    log,
  };
}

/**
 * Runs `act` with its record claimed in one transaction; nothing when the
 * declaration has a record already. The operations' calls to wake the job
 * worker and to tell the data plane are passed on once the transaction has
 * committed, as the operations themselves do after their own transactions.
 */
async function once(
  deps: VpcepDeps,
  key: string,
  act: (inTrx: VpcepDeps) => Promise<string>,
): Promise<boolean> {
  let wake = false;
  const changes: VpcepChange[] = [];
  const done = await deps.db.transaction().execute(async (trx) => {
    if (!(await claimRecord(trx, key, '{}'))) return false;
    const inTrx: VpcepDeps = {
      ...deps,
      db: trx,
      wakeJobs: () => {
        wake = true;
      },
      notifyChange: (change) => changes.push(change),
    };
    await writeRecord(trx, key, await act(inTrx));
    return true;
  });
  if (wake) deps.wakeJobs();
  for (const change of changes) deps.notifyChange(change);
  return done;
}

/** Runs an operation for a declaration; an API error becomes a TestbedError naming it. */
async function named<T>(label: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ApiError) throw new TestbedError(label, `${err.code}: ${err.message}`);
    throw err;
  }
}

async function createDeclaredService(deps: VpcepDeps, plan: ServicePlan, log: RequestLog): Promise<void> {
  const created = await named(plan.label, () =>
    once(deps, plan.key, async (inTrx) => {
      const view = await createService(inTrx, contextOf(plan.owner, log), plan.body);
      if (plan.permissions.length > 0) {
        await changePermissions(inTrx, plan.owner.projectId, view.id, 'add', plan.permissions, 'domainId');
      }
      return JSON.stringify({ id: view.id });
    }),
  );
  if (created) log.info({ declaration: plan.label }, 'test bed: endpoint service created');
}

export interface TestbedOptions {
  deps: VpcepDeps;
  accounts: readonly AccountConfig[];
  log: RequestLog;
  /** Pause between two passes over the declarations still in progress. */
  intervalMs: number;
}

/**
 * Checks every declaration and creates the declared services that have no
 * record yet; undefined when nothing is declared. Throws a TestbedError naming
 * the first declaration that cannot be carried out. run() does the rest.
 */
export async function prepareTestbed(opts: TestbedOptions): Promise<Testbed | undefined> {
  if (!declaresTestbed(opts.accounts)) return undefined;
  const { deps } = opts;
  const plan = await planTestbed(deps.db, opts.accounts, deps.config.region, deps.config.limits);
  for (const service of plan.services) await createDeclaredService(deps, service, opts.log);
  return new Testbed(plan, opts);
}

export class Testbed {
  readonly #plan: Plan;
  readonly #opts: TestbedOptions;
  /** Declarations (by record key) with nothing left to do. */
  readonly #settled = new Set<string>();
  readonly #failures: string[] = [];
  #timer: NodeJS.Timeout | undefined;
  #pass: Promise<void> | undefined;
  #closed = false;

  constructor(plan: Plan, opts: TestbedOptions) {
    this.#plan = plan;
    this.#opts = opts;
  }

  get state(): TestbedState {
    if (this.#failures.length > 0) return 'failed';
    return this.#remaining() === 0 ? 'ready' : 'pending';
  }

  #remaining(): number {
    return this.#plan.services.length + this.#plan.endpoints.length - this.#settled.size;
  }

  /** Starts working through the declarations in progress, one pass every intervalMs. */
  run(): void {
    if (this.#closed || this.#timer !== undefined || this.#pass !== undefined) return;
    this.#schedule(0);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#pass;
  }

  #schedule(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#pass = this.#once().finally(() => {
        this.#pass = undefined;
        if (!this.#closed && this.#remaining() > 0) this.#schedule(this.#opts.intervalMs);
      });
    }, ms);
    // A test bed in progress must not keep a stopped server's process alive.
    this.#timer.unref();
  }

  async #once(): Promise<void> {
    if (this.#remaining() === 0) return;
    for (const service of this.#plan.services) await this.#step(service, () => this.#watchService(service));
    for (const endpoint of this.#plan.endpoints) await this.#step(endpoint, () => this.#advance(endpoint));
    if (this.#remaining() > 0) return;
    const counts = { services: this.#plan.services.length, endpoints: this.#plan.endpoints.length };
    if (this.#failures.length === 0) this.#opts.log.info(counts, 'test bed ready');
    else
      this.#opts.log.error(
        { ...counts, failed: this.#failures.length },
        'test bed incomplete: declarations failed',
      );
  }

  async #step(decl: { key: string; label: string }, advance: () => Promise<boolean>): Promise<void> {
    if (this.#closed || this.#settled.has(decl.key)) return;
    try {
      if (await advance()) this.#settled.add(decl.key);
    } catch (err) {
      if (err instanceof TestbedError) {
        this.#settled.add(decl.key);
        this.#failures.push(err.message);
        this.#opts.log.error({ declaration: decl.label }, err.message);
        return;
      }
      // The store failed (it may be restarting): the next pass tries again.
      this.#opts.log.warn({ declaration: decl.label, err }, 'test bed: could not advance; retrying');
    }
  }

  /** A declared service is settled once its creation job has run (or it is gone). */
  async #watchService(plan: ServicePlan): Promise<boolean> {
    const { db } = this.#opts.deps;
    const record = parseRecord<{ id: string }>(await readRecord(db, plan.key));
    const row = record ? await getServiceById(db, record.id) : undefined;
    if (row?.status === 'creating') return false;
    if (row?.status === 'failed') throw new TestbedError(plan.label, `the endpoint service ${row.id} failed`);
    return true;
  }

  /** Moves a declared endpoint one step on; true when nothing is left to do. */
  async #advance(plan: EndpointPlan): Promise<boolean> {
    const { deps } = this.#opts;
    const record = parseRecord<EndpointRecord>(await readRecord(deps.db, plan.key));
    if (!record) return this.#create(plan);
    if (record.accept !== 'pending') return true;
    const row = await getEndpointById(deps.db, record.id);
    // Deleted meanwhile: left alone, like everything a declaration made.
    if (row?.status === 'creating') return false;
    if (row?.status === 'pendingAcceptance') {
      const service = await getServiceById(deps.db, row.service_id);
      if (service && service.is_public === 0) {
        await named(plan.label, () =>
          actOnConnection(deps, service.project_id, service.id, 'receive', row.id),
        );
        this.#opts.log.info({ declaration: plan.label, endpointId: row.id }, 'test bed: endpoint accepted');
      }
    }
    await writeRecord(
      deps.db,
      plan.key,
      JSON.stringify({ ...record, accept: 'done' } satisfies EndpointRecord),
    );
    return true;
  }

  async #serviceIdOf(plan: EndpointPlan): Promise<string> {
    if ('id' in plan.service) return plan.service.id;
    const record = parseRecord<{ id: string }>(
      await readRecord(this.#opts.deps.db, plan.service.declared.key),
    );
    if (!record) throw new TestbedError(plan.label, `${plan.service.declared.label} was never created`);
    return record.id;
  }

  async #create(plan: EndpointPlan): Promise<boolean> {
    const { deps, log } = this.#opts;
    const serviceId = await this.#serviceIdOf(plan);
    const service = await getServiceById(deps.db, serviceId);
    if (service?.status === 'creating') return false;
    if (service?.status !== 'available') {
      throw new TestbedError(
        plan.label,
        service
          ? `its endpoint service ${serviceId} is ${service.status}`
          : `its endpoint service ${serviceId} does not exist`,
      );
    }
    let endpointId = '';
    await named(plan.label, () =>
      once(deps, plan.key, async (inTrx) => {
        const view = await createEndpoint(inTrx, contextOf(plan.owner, log), {
          ...plan.body,
          endpoint_service_id: serviceId,
        });
        endpointId = view.id;
        return JSON.stringify({
          id: view.id,
          accept: plan.accept ? 'pending' : 'done',
        } satisfies EndpointRecord);
      }),
    );
    if (endpointId !== '') log.info({ declaration: plan.label, endpointId }, 'test bed: endpoint created');
    // Settled unless an acceptance is still to come (or another node created it: re-read).
    return endpointId !== '' && !plan.accept;
  }
}

/** The test bed's readiness check: ready once every declaration is carried out. */
export function testbedCheck(testbed: () => Testbed | undefined): ReadinessCheck {
  return {
    name: 'testbed',
    probe() {
      const state = testbed()?.state ?? 'pending';
      if (state === 'ready') return undefined;
      return state === 'pending' ? 'in progress' : 'a declaration failed';
    },
  };
}
