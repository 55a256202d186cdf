import { zipSync, type Zippable } from 'fflate';

/**
 * A zip archive that depends only on its entries: names sorted, every timestamp the DOS epoch
 * (1980-01-01 00:00, built from local-time fields so the encoded value is the same in every time
 * zone), regular-file mode 0644, fixed compression level.
 */
export function deterministicZip(files: ReadonlyMap<string, Uint8Array>): Uint8Array {
  const mtime = new Date(1980, 0, 1, 0, 0, 0, 0);
  const entries: Zippable = {};
  for (const name of [...files.keys()].sort()) {
    entries[name] = [files.get(name)!, { mtime, level: 9, os: 3, attrs: 0o100644 << 16 }];
  }
  return zipSync(entries);
}
