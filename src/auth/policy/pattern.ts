// Action patterns of IAM policies: `service:resourceType:operation`, where `*`
// stands for any run of characters inside one segment (`vpcep:*:get*`), a
// pattern of fewer segments ending in `*` covers the rest (`*`, `identity:*`),
// the service is compared exactly and the other two segments ignore case, as
// IAM's policy syntax says. `identity`, the namespace IAM's own RBAC roles deny,
// stands for `iam`, the namespace of IAM's actions.

/** A compiled pattern: tests an action written as a route declares it. */
export type ActionMatcher = (action: string) => boolean;

const SEGMENT = /^[A-Za-z0-9_*-]+$/;

/** Whether `text` is shaped like an action pattern (segments of letters, digits, `_`, `-`, `*`). */
export function isPatternShaped(text: string): boolean {
  if (text.length === 0 || text.length > 128) return false;
  const parts = text.split(':');
  if (parts.length > 3 || !parts.every((p) => SEGMENT.test(p))) return false;
  // A short form must end in a bare `*` that stands for the remaining segments.
  return parts.length === 3 || parts[parts.length - 1] === '*';
}

function globSource(segment: string): string {
  return segment
    .split('*')
    .map((piece) => piece.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^:]*');
}

/** The form actions are compared in: service as is (`identity` read as `iam`), the rest lower-case. */
function normalise(parts: string[]): string[] {
  return parts.map((p, i) => (i === 0 ? (p === 'identity' ? 'iam' : p) : p.toLowerCase()));
}

/** Compiles a pattern already checked with isPatternShaped. */
export function compilePattern(pattern: string): ActionMatcher {
  const parts = normalise(pattern.split(':'));
  if (parts.length < 3 && parts[parts.length - 1] !== '*') return () => false;
  const sources = parts.map(globSource);
  if (parts.length < 3) sources[sources.length - 1] = '.*';
  const re = new RegExp(`^${sources.join(':')}$`);
  return (action) => re.test(normaliseAction(action));
}

const normalised = new Map<string, string>();

/** Actions come from route declarations, a small fixed set: their normal forms are kept. */
function normaliseAction(action: string): string {
  let n = normalised.get(action);
  if (n === undefined) {
    n = normalise(action.split(':')).join(':');
    if (normalised.size < 10_000) normalised.set(action, n);
  }
  return n;
}
