import { Type, type Static } from 'typebox';
import { apiError } from '../../errors/api-error.ts';

// Tag rules of the reference (decision #13): keys 1–36 and values 0–43
// characters, none of = * < > \ , | /, no leading or trailing space, unique
// keys, at most 10 on create and 20 per resource in all. The rows: tag-rows.ts.

export const TagSchema = Type.Object(
  { key: Type.String(), value: Type.Optional(Type.String()) },
  { additionalProperties: false },
);
export type TagInput = Static<typeof TagSchema>;
export interface Tag {
  key: string;
  value: string;
}

export const MAX_TAGS_ON_CREATE = 10;
export const MAX_TAGS_PER_RESOURCE = 20;
const FORBIDDEN = /[=*<>\\,|/]/;

export function validateTagKey(key: string): void {
  if (key.length === 0) throw apiError('EndPoint.3066', 'The tag key cannot be empty.');
  if (key.length > 36) throw apiError('EndPoint.3072');
  if (FORBIDDEN.test(key) || key.trim() !== key) throw apiError('EndPoint.3068');
}

export function validateTagValue(value: string): void {
  if (value.length > 43) throw apiError('EndPoint.3073');
  if (FORBIDDEN.test(value) || value.trim() !== value) throw apiError('EndPoint.3068');
}

/** Validates tags given inline on create and returns them with values filled in. */
export function validateTags(tags: readonly TagInput[] | undefined, max = MAX_TAGS_ON_CREATE): Tag[] {
  if (!tags) return [];
  if (tags.length > max) throw apiError('EndPoint.3069');
  const seen = new Set<string>();
  const out: Tag[] = [];
  for (const t of tags) {
    validateTagKey(t.key);
    const value = t.value ?? '';
    validateTagValue(value);
    if (seen.has(t.key)) throw apiError('EndPoint.3067');
    seen.add(t.key);
    out.push({ key: t.key, value });
  }
  return out;
}

export type TaggedResource = 'endpoint_service' | 'endpoint';
