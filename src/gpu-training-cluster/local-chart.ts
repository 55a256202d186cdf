import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';

/** The Chart.yaml annotation carrying the full content hash. */
export const CHART_HASH_ANNOTATION = 'gaiops.io/content-hash';

/** A Helm chart rendered at synth: its files (path → text) and the content hash naming it. */
export interface StagedChartFiles {
  readonly files: Readonly<Record<string, string>>;
  readonly hash: string;
}

/**
 * Writes a chart once per content hash under the temp directory (atomically: built aside, then
 * renamed) and returns its path, for a TerraformAsset DIRECTORY whose `assetHash` is the same hash.
 * Two synths staging the same content concurrently keep one identical copy.
 */
export function stageChart(chart: StagedChartFiles): string {
  const root = join(tmpdir(), `gaiops-charts-${process.getuid?.() ?? 'user'}`);
  const dir = join(root, chart.hash);
  if (existsSync(join(dir, 'Chart.yaml'))) return dir;
  mkdirSync(root, { recursive: true });
  const work = mkdtempSync(join(root, `.${chart.hash.slice(0, 16)}-`));
  for (const [path, text] of Object.entries(chart.files)) {
    mkdirSync(dirname(join(work, path)), { recursive: true });
    writeFileSync(join(work, path), text);
  }
  try {
    renameSync(work, dir);
  } catch (err) {
    // Another synth staged the same content first: identical bytes, keep theirs.
    rmSync(work, { recursive: true, force: true });
    if (!existsSync(join(dir, 'Chart.yaml'))) throw err;
  }
  return dir;
}

/** A chart rendered at synth: files by chart-relative path, the content hash and the chart version. */
export interface PackedLocalChart extends StagedChartFiles {
  /** `0.0.0-sha256-<first 16 hex of the hash>`. */
  readonly version: string;
}

/**
 * Completes a generated chart: `content` (values.yaml and templates, path → text) is hashed in path
 * order (sha256 over `path NUL text NUL`), and a Chart.yaml (apiVersion v2, type application) gets
 * the version `0.0.0-sha256-<16 hex>` and the full hash as an annotation — so the chart, its
 * version and the staged directory change exactly when the content does.
 */
export function packLocalChart(name: string, description: string, content: Readonly<Record<string, string>>): PackedLocalChart {
  const paths = Object.keys(content).sort();
  const hasher = createHash('sha256');
  for (const path of paths) hasher.update(`${path}\0${content[path]}\0`);
  const hash = hasher.digest('hex');
  const version = `0.0.0-sha256-${hash.slice(0, 16)}`;
  const files: Record<string, string> = {
    'Chart.yaml': stringify({ apiVersion: 'v2', name, description, type: 'application', version, annotations: { [CHART_HASH_ANNOTATION]: hash } }),
  };
  for (const path of paths) files[path] = content[path];
  return { files, hash, version };
}
