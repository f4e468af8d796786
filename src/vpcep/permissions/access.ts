import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { grantsDomain } from './format.ts';
import { candidateGrants } from './repository.ts';

/**
 * May an account (`domainId`) connect an endpoint to service `serviceId`?
 * True for the service owner's own account (implicit, never stored), for a
 * matching `iam:domain::<id>` record (letter case ignored, `*` inside the id
 * a wildcard) and for `*`. orgPath records never admit anyone here: accounts
 * of this server belong to no organisation. Public (operator) services are the
 * caller's concern: they need no whitelist at all (decision #21).
 *
 * Pass the transaction that creates the endpoint so the answer holds at commit.
 */
export async function isDomainAllowed(
  db: Kysely<Database> | Transaction<Database>,
  serviceId: string,
  ownerDomainId: string,
  domainId: string,
): Promise<boolean> {
  if (domainId === ownerDomainId) return true;
  const records = await candidateGrants(db, serviceId, domainId);
  return records.some((r) => grantsDomain(r, domainId));
}
