// The one account the benchmark's vpcep child is seeded with, shared by the
// child (which writes it into the config) and the parent (which logs in with it).
import type { AccountConfig } from '../../src/config/schema.ts';

export const BENCH_ACCOUNT = {
  name: 'bench',
  id: 'b3c4d5e6f708192a3b4c5d6e7f809102',
  project: { id: 'c4d5e6f708192a3b4c5d6e7f80910213', name: 'tr-west-1' },
  user: 'admin',
  password: 'bench-secret',
  ak: 'BENCHAK0123456789XYZ',
  sk: 'BENCHSK0123456789abcdefghijklmnopqrstuvw',
} as const;

/**
 * An IAM user of the bench account whose rights come from a custom policy
 * (granted on the bench project through a group): its requests are checked
 * against a policy, the account user's never are.
 */
export const BENCH_IAM_USER = {
  user: 'bench-ci',
  password: 'Bench-ci-secret1',
  ak: 'BENCHCIAK0123456789X',
  sk: 'BENCHCISK0123456789abcdefghijklmnopqrst',
} as const;

/** The bench account as the configuration declares it, with `extra` (e.g. VPCs) merged in. */
export function benchAccountConfig(extra: Partial<AccountConfig> = {}): AccountConfig {
  return {
    name: BENCH_ACCOUNT.name,
    id: BENCH_ACCOUNT.id,
    projects: [{ ...BENCH_ACCOUNT.project }],
    users: [
      {
        name: BENCH_ACCOUNT.user,
        password: BENCH_ACCOUNT.password,
        access_keys: [{ ak: BENCH_ACCOUNT.ak, sk: BENCH_ACCOUNT.sk }],
      },
      {
        name: BENCH_IAM_USER.user,
        password: BENCH_IAM_USER.password,
        access_keys: [{ ak: BENCH_IAM_USER.ak, sk: BENCH_IAM_USER.sk }],
      },
    ],
    policies: [
      {
        name: 'bench-readers',
        type: 'XA',
        description: 'What the bench user reads',
        policy: {
          Version: '1.1',
          Statement: [
            { Effect: 'Allow', Action: ['vpc:*:list', 'vpc:*:get', 'vpcep:*:get*', 'vpcep:*:list*'] },
            { Effect: 'Deny', Action: ['vpcep:quotas:get'] },
          ],
        },
      },
    ],
    groups: [
      {
        name: 'bench-readers',
        users: [BENCH_IAM_USER.user],
        grants: [{ role: 'bench-readers', project: BENCH_ACCOUNT.project.id }],
      },
    ],
    ...extra,
  };
}

/** `POST /v3/auth/tokens` for `user` of the bench account, scoped to its project. */
export function benchLoginBody(user: string, password: string): string {
  return JSON.stringify({
    auth: {
      identity: {
        methods: ['password'],
        password: { user: { name: user, password, domain: { name: BENCH_ACCOUNT.name } } },
      },
      scope: { project: { id: BENCH_ACCOUNT.project.id } },
    },
  });
}

/** The body of `POST /v3/auth/tokens` logging the bench user in, scoped to its project. */
export const BENCH_LOGIN_BODY = benchLoginBody(BENCH_ACCOUNT.user, BENCH_ACCOUNT.password);
