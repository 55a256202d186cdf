/**
 * Helm release values as one `jsonencode(...)` Terraform expression, with every literal string
 * escaped for HCL. cdktf 0.21 renders a plain object passed to `Fn.jsonencode` as an HCL object
 * literal inside `${…}` but writes its strings unescaped, so a value such as
 * `alertname = "Watchdog"` (an Alertmanager matcher), a backslash in a regex, a newline or a
 * literal `${` would produce invalid HCL or an unintended interpolation. Tokens (references to
 * other resources) stay tokens.
 */
import { Fn } from '../tf';

/** cdktf's string token marker, e.g. `${TfToken[TOKEN.42]}`. */
const TOKEN = /(\$\{TfToken\[[^\]]+\]\})/;

/** Escapes the literal parts of `s` for an HCL quoted string (token markers are kept as they are). */
export function escapeHclString(s: string): string {
  return s
    .split(TOKEN)
    .map((part, i) =>
      i % 2 === 1
        ? part
        : part
            .replace(/\\/g, '\\\\')
            .replace(/"/g, '\\"')
            .replace(/\n/g, '\\n')
            .replace(/\r/g, '\\r')
            .replace(/\t/g, '\\t')
            .replace(/\$\{/g, () => '$${')
            .replace(/%\{/g, '%%{'),
    )
    .join('');
}

function escapeDeep(value: unknown): unknown {
  if (typeof value === 'string') return escapeHclString(value);
  if (Array.isArray(value)) return value.map(escapeDeep);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    // Keys are strings in the HCL object literal too.
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [escapeHclString(k), escapeDeep(v)]));
  }
  return value;
}

/** `values` for `helm_release`: one JSON document, built by Terraform's `jsonencode`. */
export function helmValues(values: Record<string, unknown>): string {
  return Fn.jsonencode(escapeDeep(values));
}
