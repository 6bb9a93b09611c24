import type { CommonPasswords } from '@aperture/core';
import { dictionary } from '@zxcvbn-ts/language-common';

/**
 * The ~49,000 most common passwords of public breach corpora, as zxcvbn-ts ships them
 * (@zxcvbn-ts/language-common, MIT; the entries are lower-case). Read once per process into a
 * Set: about 20 ms and a few MB, then each check is one lookup.
 */
let loaded: ReadonlySet<string> | undefined;

export const commonPasswordList: CommonPasswords = {
  has(password: string): boolean {
    loaded ??= new Set(dictionary['passwords-common']);
    return loaded.has(password.toLowerCase());
  },
};

/** How many passwords the list holds (for the docs and a test that it is the real list). */
export function commonPasswordCount(): number {
  return dictionary['passwords-common'].length;
}
