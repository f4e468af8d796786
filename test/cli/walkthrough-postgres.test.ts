// The CLI walkthrough on PostgreSQL (walkthrough.support.ts), when VPCEP_TEST_DATABASE_URL names one.
import { test } from 'node:test';
import { testDialects } from '../support/db.ts';
import { describeWalkthrough } from './walkthrough.support.ts';

if (testDialects().includes('postgres')) describeWalkthrough('postgres');
else test('the CLI walkthrough on PostgreSQL', { skip: 'VPCEP_TEST_DATABASE_URL is not set' }, () => {});
