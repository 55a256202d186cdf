/**
 * Text checks for names that people read and systems store: identifiers such as model names,
 * tag keys and object keys must be well-formed Unicode (no lone surrogates — they cannot be
 * encoded as UTF-8 or put in a URL) and must not disguise themselves (bidirectional controls make
 * `abc\u202Efdp.exe` display as another name; zero-width-only names look empty).
 */

/** Bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069). */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/;
/** Zero-width and invisible formatting characters. */
const INVISIBLE = /[\u200B-\u200F\u2060-\u2064\uFEFF\u00AD]/g;

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** `true` when `s` has no lone surrogate (`String.prototype.isWellFormed`, ES2024). */
export function isWellFormedText(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/** The first reason `s` is not an acceptable displayed name, or `undefined`. */
export function displayNameProblem(s: string): string | undefined {
  if (!isWellFormedText(s)) return 'must be well-formed Unicode (no lone surrogates)';
  if (BIDI_CONTROLS.test(s)) return 'must not contain bidirectional control characters';
  if (s.length > 0 && s.replace(INVISIBLE, '').trim() === '') return 'must contain visible characters';
  return undefined;
}
