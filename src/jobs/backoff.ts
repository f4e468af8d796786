/**
 * Delay before retry number `attempts + 1`: exponential from `baseMs`, capped at
 * `capMs` (the worker uses its lease, so a failing job is retried at least once
 * per lease period), with "equal jitter" — half fixed, half random — so jobs
 * that failed together (e.g. a database blip) don't retry in lockstep, while the
 * delay never collapses to zero and spins.
 */
export function retryDelay(attempts: number, baseMs: number, capMs: number, random: () => number): number {
  // Clamp the exponent: 2^30 × any sane base is already past every cap.
  const exp = Math.min(capMs, baseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 30));
  return Math.round(exp / 2 + random() * (exp / 2));
}
