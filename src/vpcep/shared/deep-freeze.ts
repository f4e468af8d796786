/**
 * Freezes `value` and every object and array it holds, so that one object can
 * be handed to many requests without any of them changing it for the others.
 * For plain data (JSON-shaped views); returns `value`, typed as it was.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
