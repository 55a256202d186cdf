/**
 * Redacts personal data from prompt/completion text before it is logged (only when
 * `logging.prompts` is `redacted`): e-mail addresses, IBAN-like account numbers, payment-card-like
 * numbers (13-19 digits, optionally grouped by spaces or dashes) and phone numbers (7-15 digits,
 * optionally with `+`, spaces, dots, dashes or parentheses). Deliberately greedy: a false positive
 * costs a log detail, a false negative leaks personal data.
 */
const EMAIL = /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
const IBAN = /\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b/g;
const CARD = /(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)/g;
const PHONE = /(?<![\w+])(?:\+|00)?\d(?:[\s.()-]{0,2}\d){6,14}(?!\d)/g;

export function redactPii(text: string): string {
  return text.replace(EMAIL, '[EMAIL]').replace(IBAN, '[IBAN]').replace(CARD, '[CARD]').replace(PHONE, '[PHONE]');
}
