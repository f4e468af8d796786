// Namespaces mode end to end on PostgreSQL (the scenario is in netns-e2e.support.ts;
// a file of its own so that each store's run has the runner's whole per-file budget).
import { describe, test } from 'node:test';
import { testDialects } from '../support/db.ts';
import { sameCidrScenario, skipUnlessNetns } from './netns-e2e.support.ts';

const postgres = testDialects().includes('postgres') ? false : 'VPCEP_TEST_DATABASE_URL is not set';

describe('network: namespaces (postgres)', { skip: skipUnlessNetns || postgres }, () => {
  test(
    'two tenants with the same CIDR and port address meet only through an accepted endpoint (postgres)',
    { timeout: 300_000 },
    (t) => sameCidrScenario('postgres', t),
  );
});
