import { apiError } from '../../errors/api-error.ts';

// Whitelist (permission) records of a service, as strings exactly as the owner
// wrote them (api-surface §3.2 (12), peers §3.4):
//   `*`                               every account
//   `iam:domain::<domain_id>`         domain_id: 1–64 of [A-Za-z0-9*]
//   `organizations:orgPath::<path>`   path: 1–1024 of [A-Za-z0-9/*?-]
// Records are stored and echoed byte for byte (Terraform compares them with
// what it sent); only matching against a caller's domain id is case-insensitive,
// because domain ids are hex and their case carries no meaning.

export type PermissionType = 'domainId' | 'orgPath';

export const DOMAIN_PREFIX = 'iam:domain::';
const DOMAIN_RECORD = /^iam:domain::[A-Za-z0-9*]{1,64}$/;
const ORG_RECORD = /^organizations:orgPath::[A-Za-z0-9/*?-]{1,1024}$/;

export function isValidPermission(text: string, type: PermissionType): boolean {
  return type === 'domainId' ? text === '*' || DOMAIN_RECORD.test(text) : ORG_RECORD.test(text);
}

/** Throws EndPoint.3002 naming the first record that is not of `type`'s format. */
export function checkPermissions(records: readonly string[], type: PermissionType): void {
  for (const r of records) {
    if (!isValidPermission(r, type)) {
      const format =
        type === 'domainId' ? "'iam:domain::<domain_id>' or '*'" : "'organizations:orgPath::<org_path>'";
      throw apiError(
        'EndPoint.3002',
        `Invalid permission '${r}': a ${type} record must look like ${format}.`,
      );
    }
  }
}

/**
 * Whether a domainId record lets `domainId` connect. `*` (alone, or as the
 * whole domain part) admits everyone; an asterisk inside the domain part is a
 * wildcard for any run of characters, which is what the reference's
 * "letters, digits and asterisks" allows one to express.
 */
export function grantsDomain(record: string, domainId: string): boolean {
  if (record === '*') return true;
  if (!record.startsWith(DOMAIN_PREFIX)) return false;
  const pattern = record.slice(DOMAIN_PREFIX.length);
  return globMatches(pattern.toLowerCase(), domainId.toLowerCase());
}

/**
 * `*`-only glob matching in O(pattern × text) without a RegExp: the pattern is
 * written by a service owner and evaluated when someone else creates an
 * endpoint, so it must not be able to make the server backtrack exponentially.
 */
export function globMatches(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (p < pattern.length && pattern[p] !== '*' && pattern[p] === text[t]) {
      p += 1;
      t += 1;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p;
      resume = t;
      p += 1;
    } else if (star !== -1) {
      p = star + 1;
      resume += 1;
      t = resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p += 1;
  return p === pattern.length;
}
