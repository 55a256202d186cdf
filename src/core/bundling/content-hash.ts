import { createHash } from 'node:crypto';

/**
 * The content hash of a set of files: sha256 over the sorted entries, each as
 * `<relative posix path> NUL <sha256 of bytes> NUL`. Paths are part of the hash (a renamed file
 * changes it); timestamps and absolute locations are not.
 */
export function contentHash(files: ReadonlyMap<string, Uint8Array>): string {
  const h = createHash('sha256');
  for (const path of [...files.keys()].sort()) {
    h.update(path).update('\0').update(sha256Hex(files.get(path)!)).update('\0');
  }
  return h.digest('hex');
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Terraform's `filebase64sha256` form, used for `source_code_hash`. */
export function sha256Base64(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64');
}
