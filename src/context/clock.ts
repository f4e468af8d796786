/** Time source injected everywhere a decision depends on "now", so tests can move it. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** `YYYY-MM-DDTHH:MM:SSZ`: the one timestamp format of the VPCEP API. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19) + 'Z';
}

/** Keystone's format: UTC with six fractional digits. */
export function formatKeystoneTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
