// Policy documents in IAM's JSON form, and the checks a custom policy must pass
// before it is stored (IAM's limits and error codes; docs/iam.md). Pure: no I/O.
import { apiError, type ApiError } from '../../errors/api-error.ts';
import { ALL_ACTIONS, SERVICES_SERVED } from './actions.ts';
import { compilePattern, isPatternShaped } from './pattern.ts';

export type Effect = 'Allow' | 'Deny';

export interface Statement {
  Effect: Effect;
  Action?: string[];
  NotAction?: string[];
}

/**
 * Version "1.0" is an RBAC role: its Deny statements only carve exceptions out
 * of its own Allow ("Tenant Administrator (Exclude IAM)"). Version "1.1" is a
 * fine-grained policy: its Deny refuses the action whatever else is granted.
 */
export interface PolicyDocument {
  Version: '1.0' | '1.1';
  Statement: Statement[];
  Depends?: { catalog: string; display_name: string }[];
}

export const POLICY_LIMITS = {
  /** Characters of the policy's JSON text. */
  maxChars: 6144,
  maxStatements: 8,
  maxActionsPerStatement: 100,
  maxActionChars: 128,
} as const;

const STATEMENT_KEYS = new Set(['Effect', 'Action', 'NotAction', 'Resource', 'Condition']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A pattern names a registered action when it matches one. Services vpcep does
 * not serve are checked for shape only, so a policy written for the real cloud
 * (naming `ecs:*:*` beside `vpcep:*:*`) is accepted and simply matches nothing here.
 */
function isRegistered(pattern: string): boolean {
  const service = pattern.split(':')[0] ?? '';
  const served = service === 'identity' ? 'iam' : service;
  if (!served.includes('*') && !SERVICES_SERVED.has(served)) return true;
  const matches = compilePattern(pattern);
  return ALL_ACTIONS.some((a) => matches(a));
}

function checkActions(list: unknown, key: string): ApiError | undefined {
  if (!Array.isArray(list) || list.length === 0) {
    return apiError('IAM.1030', `The ${key} must be a non-empty JSONArray.`);
  }
  if (list.length > POLICY_LIMITS.maxActionsPerStatement) {
    return apiError('IAM.1033', `The number of actions [${list.length}] exceeds 100.`);
  }
  for (const a of list) {
    if (typeof a !== 'string') return apiError('IAM.1035', 'Every action must be a string.');
    if (a.length > POLICY_LIMITS.maxActionChars) {
      return apiError('IAM.1034', `The length [${a.length}] of an action URN exceeds 128 characters.`);
    }
    // The service part is lower case only; the other parts may mix case.
    if (!isPatternShaped(a) || /[A-Z]/.test(a.split(':')[0] ?? '')) {
      return apiError('IAM.1035', `Action URN '${a}' contains invalid characters.`);
    }
    if (!isRegistered(a)) return apiError('IAM.1036', `Action '${a}' has not been registered.`);
  }
  return undefined;
}

/**
 * Checks a custom policy document (Version "1.1") as IAM does and returns it
 * normalised (Effect spelled `Allow`/`Deny`), or the error to answer with.
 * `Resource` and `Condition` are refused: VPCEP and VPC actions support neither,
 * and ignoring them would widen what an Allow grants or narrow what a Deny refuses.
 */
export function parseCustomPolicy(policy: unknown): PolicyDocument | ApiError {
  if (!isObject(policy)) return apiError('IAM.1020');
  const size = JSON.stringify(policy).length;
  if (size > POLICY_LIMITS.maxChars) {
    return apiError('IAM.1021', `The size [${size}] of the policy exceeds 6,144 characters.`);
  }
  for (const key of Object.keys(policy)) {
    if (key === 'Depends') return apiError('IAM.1025');
    if (key !== 'Version' && key !== 'Statement') {
      return apiError('IAM.0007', `Request parameter policy.${key.slice(0, 64)} is invalid.`);
    }
  }
  if (policy.Version !== '1.1') return apiError('IAM.1024');
  const statements = policy.Statement;
  if (!Array.isArray(statements)) return apiError('IAM.1027');
  if (statements.length === 0 || statements.length > POLICY_LIMITS.maxStatements) {
    return apiError(
      'IAM.1028',
      `The number of statements [${statements.length}] must be greater than 0 and less than or equal to 8.`,
    );
  }
  const out: Statement[] = [];
  for (const s of statements) {
    if (!isObject(s)) return apiError('IAM.1027', 'Every statement must be a JSONObject.');
    for (const key of Object.keys(s)) {
      if (!STATEMENT_KEYS.has(key)) {
        return apiError('IAM.0007', `Request parameter Statement.${key.slice(0, 64)} is invalid.`);
      }
    }
    if ('Condition' in s) return apiError('IAM.1039', 'Conditions are not supported by vpcep.');
    if ('Resource' in s) return apiError('IAM.1049', 'Resources are not supported by vpcep.');
    const effect = typeof s.Effect === 'string' ? s.Effect.toLowerCase() : undefined;
    if (effect !== 'allow' && effect !== 'deny') return apiError('IAM.1029');
    if ('Action' in s && 'NotAction' in s) return apiError('IAM.1031');
    const key = 'NotAction' in s ? 'NotAction' : 'Action';
    const problem = checkActions(s[key], key);
    if (problem) return problem;
    out.push({ Effect: effect === 'allow' ? 'Allow' : 'Deny', [key]: [...(s[key] as string[])] });
  }
  return { Version: '1.1', Statement: out };
}
