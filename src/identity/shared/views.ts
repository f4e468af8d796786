import { formatKeystoneTime } from '../../context/clock.ts';

/** IAM's user timestamps: UTC with six fractional digits and no zone letter. */
export function iamTime(ms: number): string {
  return formatKeystoneTime(ms).slice(0, -1);
}

/** Keystone's list links; vpcep answers every list in one page. */
export function listLinks(self: string) {
  return { self, previous: null, next: null };
}

/**
 * Answers that hold a token or a catalog built from the caller's Host header
 * are for that caller only: no shared cache may keep one for another.
 */
export const PRIVATE = 'no-store';
