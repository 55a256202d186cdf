/**
 * `['gsis', 1, 'name']` → `gsis[1].name`; the empty path → `root`. Dependency-free, so runtimes
 * (which must not pull cdktf into their bundles) and construct validation share it.
 */
export function formatFieldPath(path: readonly PropertyKey[], root = '<props>'): string {
  if (path.length === 0) return root;
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}
