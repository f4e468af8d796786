/**
 * Forwarding in namespaces mode: before the listeners change, the networks
 * are converged (namespaces, links, addresses, routes and nft rules for
 * exactly those listeners); the listeners themselves run in the forwarding
 * processes started inside the data-plane namespace.
 */
import type { ApplyResult, ListenerSpec } from '../forwarder/types.ts';
import type { Forwarding, ForwardingProcessesStatus } from '../forwarding.ts';
import type { NamespacesNetwork, NetworkLog } from './network.ts';

export class NamespacedForwarding implements Forwarding {
  readonly #network: NamespacesNetwork;
  readonly #inner: Forwarding;
  readonly #log: NetworkLog;
  /** What the forwarding processes were last asked to run. */
  #running: ListenerSpec[] = [];

  constructor(network: NamespacesNetwork, inner: Forwarding, log: NetworkLog) {
    this.#network = network;
    this.#inner = inner;
    this.#log = log;
  }

  async apply(specs: readonly ListenerSpec[]): Promise<ApplyResult> {
    // Listeners that go keep their steering until they are gone: the resets they send
    // their clients need the routes back (a rejected endpoint's connections are cut, not
    // left to time out).
    const keys = new Set(specs.map((s) => s.key));
    const going = this.#running.filter((s) => !keys.has(s.key));
    let problem = await this.#converge([...specs, ...going]);
    const result = await this.#inner.apply(specs);
    this.#running = [...specs];
    if (going.length > 0) problem ??= await this.#converge(specs);
    if (problem === undefined) return result;
    // Reported as failed listeners, so the controller retries the whole apply.
    const failed = new Set(result.failed.map((f) => f.key));
    const error = problem;
    return {
      ...result,
      failed: [
        ...result.failed,
        ...specs.filter((s) => !failed.has(s.key)).map((s) => ({ key: s.key, error })),
      ],
    };
  }

  async #converge(specs: readonly ListenerSpec[]): Promise<string | undefined> {
    try {
      await this.#network.converge(specs);
      return undefined;
    } catch (err) {
      this.#log.warn({ err }, 'namespaces: could not converge the networks; retrying');
      return `network not converged: ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  listenerCount(): number {
    return this.#inner.listenerCount();
  }

  refresh(): Promise<void> {
    return this.#inner.refresh();
  }

  processes(): ForwardingProcessesStatus | undefined {
    return this.#inner.processes();
  }

  async close(): Promise<void> {
    await this.#inner.close();
    await this.#network.close();
  }
}
