import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

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
