// The one account the benchmark's vpcep child is seeded with, shared by the
// child (which writes it into the config) and the parent (which logs in with it).

export const BENCH_ACCOUNT = {
  name: 'bench',
  id: 'b3c4d5e6f708192a3b4c5d6e7f809102',
  project: { id: 'c4d5e6f708192a3b4c5d6e7f80910213', name: 'tr-west-1' },
  user: 'admin',
  password: 'bench-secret',
  ak: 'BENCHAK0123456789XYZ',
  sk: 'BENCHSK0123456789abcdefghijklmnopqrstuvw',
} as const;
