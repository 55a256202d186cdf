/**
 * Training job ids: `tj-` + 12 characters of lower-case base32 (60 bits). The id names the trial
 * objects (`<id>-t<NNN>`), so it is a DNS-1123 label that starts with a letter (TrainJob names are
 * RFC 1035 labels). With an `Idempotency-Key` the id is derived from team, caller and key, so a
 * retried request finds the objects of its first attempt; without one it is random.
 */
import { createHash, randomBytes } from 'node:crypto';
import { canonicalJson, sha256Hex } from '../../../feature-store/runtime/canonical';

export const JOB_ID_PATTERN = /^tj-[a-z2-7]{12}$/;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
/** A client-chosen idempotency key: printable ASCII, 1–128 characters. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\u0021-\u007e]{1,128}$/;

function base32(bytes: Uint8Array, length: number): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < length) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  return out;
}

/** A new random job id. */
export function randomJobId(): string {
  return `tj-${base32(randomBytes(8), 12)}`;
}

/** The job id of an idempotent request: the same team, caller and key always give the same id. */
export function idempotentJobId(team: string, principal: string, key: string): string {
  const digest = createHash('sha256').update(`gaiops-training-job\n${team}\n${principal}\n${key}`, 'utf8').digest();
  return `tj-${base32(digest, 12)}`;
}

/** Hex sha256 of the canonical JSON of a value (the request hash idempotent retries compare). */
export function requestHash(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
