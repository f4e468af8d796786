import { apiError } from '../../errors/api-error.ts';

/** Descriptions: at most `max` characters (128, or 512 for connections), no `<` or `>` (decision #14). */
export function validateDescription(text: string | undefined, max = 128): string {
  if (text === undefined) return '';
  if (text.length > max || /[<>]/.test(text)) {
    throw apiError(
      'EndPoint.0002',
      `Parameter error: description must be at most ${max} characters without < or >.`,
    );
  }
  return text;
}

/** The name part of an endpoint service: at most 16 of [A-Za-z0-9_-] (decision #7). */
export function validateServiceName(name: string): void {
  if (!/^[A-Za-z0-9_-]{1,16}$/.test(name)) throw apiError('EndPoint.3076');
}

/** `{region}.{name}.{id}`, or `{region}.{id}` without a name. */
export function composeServiceName(region: string, name: string, id: string): string {
  return name === '' ? `${region}.${id}` : `${region}.${name}.${id}`;
}
