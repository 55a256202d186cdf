/**
 * Per-team image allow-list: a training image must start with one of the team's registry/repository
 * prefixes, matched on whole path segments — `registry/team-a/` and `registry/team-a` both allow
 * `registry/team-a/llm:1.2` but never `registry/team-a-evil/x:1`.
 */

/** True when `image` lies under `prefix` (segment-wise). */
export function imageMatchesPrefix(image: string, prefix: string): boolean {
  const p = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  if (p === '' || !image.startsWith(p)) return false;
  const next = image.charAt(p.length);
  // The prefix names a whole repository (next is its tag or digest) or a path above it.
  return next === '/' || ((next === ':' || next === '@') && !prefix.endsWith('/'));
}

/** True when `image` is under one of `prefixes`. */
export function isImageAllowed(image: string, prefixes: readonly string[]): boolean {
  return prefixes.some((prefix) => imageMatchesPrefix(image, prefix));
}
