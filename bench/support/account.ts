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
    ],
    ...extra,
  };
}

/** The body of `POST /v3/auth/tokens` logging the bench user in, scoped to its project. */
export const BENCH_LOGIN_BODY = JSON.stringify({
  auth: {
    identity: {
      methods: ['password'],
      password: {
        user: {
          name: BENCH_ACCOUNT.user,
          password: BENCH_ACCOUNT.password,
          domain: { name: BENCH_ACCOUNT.name },
        },
      },
    },
    scope: { project: { id: BENCH_ACCOUNT.project.id } },
  },
});
