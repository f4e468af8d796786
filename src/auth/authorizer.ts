import type { PermissionSet } from './policy/permission-set.ts';
import { LruMap } from './bounded-cache.ts';

/** Loads what a user may do in a project (or, with null, in IAM's global scope). */
export type PermissionLoader = (
  domainId: string,
  userId: string,
  projectId: string | null,
) => Promise<PermissionSet | undefined>;

/**
 * Compiled permission sets by user and scope, kept until an IAM change
 * invalidates them (nothing expires by time: a change is announced, or noticed
 * by the generation check, see src/identity/change-watch.ts). A cached request
 * costs one map look-up for the set and one for the action.
 */
export class Authorizer {
  readonly #sets: LruMap<string, PermissionSet>;
  /** Raised by every invalidation; a load that started before it is not cached. */
  #epoch = 0;

  constructor(
    private readonly load: PermissionLoader,
    max = 10_000,
  ) {
    this.#sets = new LruMap(max);
  }

  /** The set if cached: lets the authentication hook decide without awaiting. */
  cached(userId: string, projectId: string | null): PermissionSet | undefined {
    return this.#sets.get(keyOf(userId, projectId));
  }

  /** The set, loaded once and cached; undefined when the user no longer exists. */
  async permissionSet(
    domainId: string,
    userId: string,
    projectId: string | null,
  ): Promise<PermissionSet | undefined> {
    const key = keyOf(userId, projectId);
    const hit = this.#sets.get(key);
    if (hit) return hit;
    const epoch = this.#epoch;
    const set = await this.load(domainId, userId, projectId);
    if (set && epoch === this.#epoch) this.#sets.set(key, set);
    return set;
  }

  /** Forgets every set: something in IAM changed. */
  invalidate(): void {
    this.#epoch++;
    this.#sets.clear();
  }

  get size(): number {
    return this.#sets.size;
  }
}

function keyOf(userId: string, projectId: string | null): string {
  return `${userId}\0${projectId ?? ''}`;
}
