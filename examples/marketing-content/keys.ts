/**
 * Makes the `keys.json` of the copywriter gateway's Secret from a list of key requests (alias, team,
 * limits): every new key is random, printed once on stdout, and only its sha256 goes into the file.
 *
 *   npx tsx keys.ts teams.yaml --out keys.json                      # first issue
 *   npx tsx keys.ts teams.yaml --existing keys.json --out keys.json # change limits, add or drop keys
 *
 * With `--existing`, aliases already in that file keep their hash (the key in use stays valid) and
 * get the limits from the requests; new aliases get new keys; aliases no longer requested are
 * dropped (revoked). Rotation = add `<alias>-v2`, deploy, move the client, remove the old alias.
 *
 * In this repository the example imports from `../../src`; in your project import from `gaiops`.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

import { GaiConfigError, GatewayKeysSchema, hashApiKey, parseProps, type GatewayKeys } from '../../src';

/** One key request: a key's `keys.json` entry without the hash. */
export const KeyRequestSchema = GatewayKeysSchema.shape.keys.element.omit({ sha256: true });
export const KeyRequestsSchema = z.strictObject({
  keys: z
    .array(KeyRequestSchema)
    .min(1)
    .refine((keys) => new Set(keys.map((k) => k.alias)).size === keys.length, 'lists an alias twice'),
});
export type KeyRequests = z.input<typeof KeyRequestsSchema>;

/** A key issued by this run: shown once, never stored. */
export interface IssuedKey {
  readonly alias: string;
  readonly team?: string;
  readonly key: string;
}

export interface GeneratedKeys {
  /** The `keys.json` document (validated by GatewayKeysSchema). */
  readonly keysJson: GatewayKeys;
  /** New keys, in request order. */
  readonly issued: readonly IssuedKey[];
  /** Aliases whose existing hash was kept. */
  readonly kept: readonly string[];
  /** Aliases of `existing` that were not requested (revoked). */
  readonly revoked: readonly string[];
}

/** `gk_` + 32 random bytes, base64url: 46 visible ASCII characters, 256 bits of entropy. */
export function newApiKey(): string {
  return `gk_${randomBytes(32).toString('base64url')}`;
}

/** Builds `keys.json` from the requests, keeping the hashes of `existing` aliases. */
export function generateGatewayKeys(requests: KeyRequests, existing?: GatewayKeys, makeKey: () => string = newApiKey): GeneratedKeys {
  const r = parseProps('key requests', KeyRequestsSchema, requests);
  const before = new Map((existing?.keys ?? []).map((k) => [k.alias, k]));
  const issued: IssuedKey[] = [];
  const kept: string[] = [];
  const keys = r.keys.map((request) => {
    const old = before.get(request.alias);
    if (old) {
      kept.push(request.alias);
      return { ...request, sha256: old.sha256 };
    }
    const key = makeKey();
    issued.push({ alias: request.alias, ...(request.team ? { team: request.team } : {}), key });
    return { ...request, sha256: hashApiKey(key) };
  });
  const requested = new Set(r.keys.map((k) => k.alias));
  const revoked = [...before.keys()].filter((alias) => !requested.has(alias));
  return { keysJson: parseProps('keys.json', GatewayKeysSchema, { keys }), issued, kept, revoked };
}

/** Reads a YAML or JSON file. */
function readDocument(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new GaiConfigError([{ constructPath: file, fieldPath: '(file)', message: `cannot be read: ${(err as Error).message}` }]);
  }
  try {
    return file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new GaiConfigError([{ constructPath: file, fieldPath: '(file)', message: `cannot be parsed: ${(err as Error).message}` }]);
  }
}

export interface KeysIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

export const KEYS_USAGE = 'Usage: npx tsx keys.ts <requests.yaml|json> --out <keys.json> [--existing <keys.json>]';

/** The command line: returns the exit code (0 done, 2 bad arguments or input). */
export function runKeysCli(argv: readonly string[], io: KeysIo): number {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options: { out: { type: 'string' }, existing: { type: 'string' } } });
  } catch (err) {
    io.stderr.write(`${(err as Error).message}\n${KEYS_USAGE}\n`);
    return 2;
  }
  const [requestsFile] = parsed.positionals;
  if (requestsFile === undefined || parsed.values.out === undefined || parsed.positionals.length > 1) {
    io.stderr.write(`${KEYS_USAGE}\n`);
    return 2;
  }
  try {
    const existing = parsed.values.existing ? parseProps(parsed.values.existing, GatewayKeysSchema, readDocument(parsed.values.existing)) : undefined;
    const result = generateGatewayKeys(readDocument(requestsFile) as KeyRequests, existing);
    // Hashes and limits only; still keep the file private (it lists who may call the gateway).
    writeFileSync(parsed.values.out, `${JSON.stringify(result.keysJson, null, 2)}\n`, { mode: 0o600 });
    for (const k of result.issued) io.stdout.write(`${k.alias}\t${k.key}\n`);
    io.stderr.write(
      `wrote ${parsed.values.out}: ${result.issued.length} new key(s) printed above (shown once: hand them over now), ` +
        `${result.kept.length} kept, ${result.revoked.length} revoked${result.revoked.length ? ` (${result.revoked.join(', ')})` : ''}\n`,
    );
    return 0;
  } catch (err) {
    if (err instanceof GaiConfigError) {
      io.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

if (require.main === module) {
  process.exitCode = runKeysCli(process.argv.slice(2), process);
}
