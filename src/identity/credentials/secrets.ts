import { randomBytes } from 'node:crypto';

const AK_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const SK_ALPHABET = AK_ALPHABET + 'abcdefghijklmnopqrstuvwxyz';

/** Uniform over `alphabet` (rejection sampling: no character is likelier than another). */
export function randomString(alphabet: string, length: number): string {
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < limit && out.length < length) out += alphabet[b % alphabet.length];
    }
  }
  return out;
}

/** An access key id and secret shaped like the cloud's: 20 upper-case letters and digits, 40 characters. */
export function newKeyPair(): { ak: string; sk: string } {
  return { ak: randomString(AK_ALPHABET, 20), sk: randomString(SK_ALPHABET, 40) };
}
