// What one caller may do in one scope, compiled from the roles and policies its
// groups hold there. Deciding an action is a map lookup once it has been asked
// for; the first time, every statement is matched once. Pure: no I/O.
import type { PolicyDocument, Statement } from './document.ts';
import { compilePattern, type ActionMatcher } from './pattern.ts';

interface CompiledStatement {
  deny: boolean;
  /** Whether the statement is about the action (Action matches, or NotAction does not). */
  covers: ActionMatcher;
}

interface CompiledDocument {
  role: boolean;
  statements: CompiledStatement[];
}

function compileStatement(s: Statement): CompiledStatement {
  const inverted = s.NotAction !== undefined;
  const matchers = (s.NotAction ?? s.Action ?? []).map(compilePattern);
  const any = (action: string) => matchers.some((m) => m(action));
  return { deny: s.Effect === 'Deny', covers: inverted ? (a) => !any(a) : any };
}

function compileDocument(doc: PolicyDocument): CompiledDocument {
  return { role: doc.Version === '1.0', statements: doc.Statement.map(compileStatement) };
}

/**
 * The decision for `action` under `docs`:
 * 1. a Deny statement of a fine-grained policy (1.1) that covers it refuses it;
 * 2. otherwise an Allow of a policy, or of a role (1.0) none of whose own Deny
 *    statements covers it, allows it;
 * 3. otherwise it is refused (nothing is allowed unless granted).
 */
export function decide(docs: readonly CompiledDocument[], action: string): boolean {
  let allowed = false;
  for (const doc of docs) {
    if (doc.role) {
      if (allowed) continue;
      const grants = doc.statements.some((s) => !s.deny && s.covers(action));
      allowed = grants && !doc.statements.some((s) => s.deny && s.covers(action));
    } else {
      for (const s of doc.statements) {
        if (!s.covers(action)) continue;
        if (s.deny) return false;
        allowed = true;
      }
    }
  }
  return allowed;
}

export class PermissionSet {
  readonly #docs: CompiledDocument[];
  readonly #decisions = new Map<string, boolean>();

  /** `owner`: the account's own user, who may do everything. */
  constructor(
    readonly owner: boolean,
    docs: readonly PolicyDocument[],
  ) {
    this.#docs = owner ? [] : docs.map(compileDocument);
  }

  /** Actions come from route declarations (a fixed set), so the memo stays small. */
  allows(action: string): boolean {
    if (this.owner) return true;
    let d = this.#decisions.get(action);
    if (d === undefined) {
      d = decide(this.#docs, action);
      this.#decisions.set(action, d);
    }
    return d;
  }
}

/** The compiled form of documents, for callers that decide without a set (tests, previews). */
export function compileDocuments(docs: readonly PolicyDocument[]): CompiledDocument[] {
  return docs.map(compileDocument);
}
