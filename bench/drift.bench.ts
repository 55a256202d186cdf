/**
 * Drift detector throughput and memory: generates JSON Lines windows of 250,000 and 1,000,000 rows
 * × 20 drift columns (12 numeric, 8 categorical; plus fairness and A/B fields) and a 100,000-row
 * baseline under os.tmpdir(), then runs the detector's core on each window in a fresh child process:
 * file stream → JSON Lines reader → reference/current sketches, fairness, A/B → the report (all
 * tests) → EMF lines. The child samples `process.memoryUsage().rss` every 20 ms and reports
 * `resourceUsage().maxRSS`. If the sketches bound memory, peak RSS is the same for both windows.
 *
 * No thresholds, no assertions: it prints numbers (target here: ≤ 4 s and ≤ 300 MB for 1M rows).
 * "window s" is wall time, "CPU s" the child's user + system CPU time over the same pass (on a
 * shared machine the wall time includes waiting for a core; the load average is printed too).
 * Usage: tsx bench/drift.bench.ts [--sizes 250000,1000000] [--baseline 100000]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { seededRandom } from '../src/feature-store/runtime/stats';
import { DriftConfigSchema } from '../src/monitoring-stack/drift-config';
import { ColumnProfile, WindowAnalysis, buildReport, sourceSummary } from '../src/monitoring-stack/runtime/drift/analysis';
import { readJsonRows } from '../src/monitoring-stack/runtime/drift/json-lines';
import { emfLines } from '../src/monitoring-stack/runtime/drift/metrics';

const ROOT = resolve(__dirname, '..');
const MARKER = 'GAIOPS_DRIFT_BENCH ';
const NUMERIC = 12;
const CATEGORICAL = 8;
const TOTAL_BUDGET_MS = 170_000;

const CONFIG = DriftConfigSchema.parse({
  model: 'bench-model',
  dataset: 'bench',
  baseline: { kind: 'sample', bucket: 'bench-bucket', prefix: 'baseline/' },
  window: { bucket: 'bench-bucket', prefix: 'window/' },
  columns: [
    ...Array.from({ length: NUMERIC }, (_, i) => ({ name: `n${i}`, type: 'numeric' as const })),
    ...Array.from({ length: CATEGORICAL }, (_, i) => ({ name: `c${i}`, type: 'categorical' as const })),
  ],
  fairness: { sensitiveAttributes: ['group'], predictionColumn: 'pred', positiveValue: 1 },
  abTest: { variantColumn: 'variant', conversionColumn: 'converted', minimumDetectableEffect: 0.01 },
  outputs: { reportBucket: 'bench-bucket' },
});

interface RunReport {
  readonly rows: number;
  readonly bytes: number;
  readonly durationMs: number;
  readonly windowMs: number;
  /** CPU time (user + system) of the window pass: the work itself, independent of other load on the machine. */
  readonly windowCpuMs: number;
  readonly baselineMs: number;
  readonly testsMs: number;
  readonly peakRssMb: number;
  readonly maxRssMb: number;
  readonly peakHeapMb: number;
  readonly startRssMb: number;
  readonly driftedColumns: number;
}

/** Writes `rows` JSON lines (streaming, constant memory); `shift` moves every distribution a little. */
async function writeWindow(path: string, rows: number, seed: string, shift: number): Promise<void> {
  const random = seededRandom(seed);
  const out = createWriteStream(path);
  const cats = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];
  let batch = '';
  for (let i = 0; i < rows; i++) {
    const r: Record<string, unknown> = {};
    for (let c = 0; c < NUMERIC; c++) r[`n${c}`] = Math.round((c * 10 + (random() + random() + random()) * 10 + shift) * 1000) / 1000;
    for (let c = 0; c < CATEGORICAL; c++) r[`c${c}`] = cats[Math.floor(random() * random() * (c + 2 + shift)) % cats.length];
    r.group = random() < 0.5 ? 'f' : 'm';
    r.pred = random() < 0.3 ? 1 : 0;
    r.variant = random() < 0.5 ? 'a' : 'b';
    r.converted = random() < 0.1;
    batch += `${JSON.stringify(r)}\n`;
    if (batch.length > 1 << 20) {
      if (!out.write(batch)) await once(out, 'drain');
      batch = '';
    }
  }
  out.write(batch);
  out.end();
  await once(out, 'finish');
}

async function runChild(baselinePath: string, windowPath: string): Promise<void> {
  const startRss = process.memoryUsage().rss;
  let peakRss = startRss;
  let peakHeap = 0;
  const sample = (): void => {
    const m = process.memoryUsage();
    if (m.rss > peakRss) peakRss = m.rss;
    if (m.heapUsed > peakHeap) peakHeap = m.heapUsed;
  };
  const timer = setInterval(sample, 20);
  const t0 = performance.now();
  const reference = new ColumnProfile(CONFIG.columns, CONFIG.sketch, 'reference');
  const baselineCounts = await readJsonRows(createReadStream(baselinePath, { highWaterMark: 1 << 20 }), reference.layout, (row) => reference.add(row), { maxLineBytes: CONFIG.maxLineBytes });
  const t1 = performance.now();
  const analysis = new WindowAnalysis(CONFIG, { usageFromWindow: false });
  const cpu0 = process.cpuUsage();
  const windowCounts = await readJsonRows(createReadStream(windowPath, { highWaterMark: 1 << 20 }), analysis.layout, (row) => analysis.add(row), { maxLineBytes: CONFIG.maxLineBytes });
  const t2 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const report = buildReport({
    config: CONFIG,
    eventTime: new Date(),
    completedAt: new Date(),
    windowFrom: new Date(0),
    reference,
    baseline: { kind: 'sample', ...sourceSummary('bench-bucket', 'baseline/', 1, baselineCounts), versionId: null, versionChain: [] },
    window: sourceSummary('bench-bucket', 'window/', 1, windowCounts),
    analysis,
  });
  const emf = emfLines(report, CONFIG.outputs.namespace, Date.now());
  const t3 = performance.now();
  clearInterval(timer);
  sample();
  const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;
  const out: RunReport = {
    rows: windowCounts.records,
    bytes: windowCounts.bytes,
    durationMs: t3 - t0,
    baselineMs: t1 - t0,
    windowMs: t2 - t1,
    windowCpuMs: (cpu.user + cpu.system) / 1000,
    testsMs: t3 - t2,
    peakRssMb: mb(peakRss),
    maxRssMb: mb(process.resourceUsage().maxRSS * 1024),
    peakHeapMb: mb(peakHeap),
    startRssMb: mb(startRss),
    driftedColumns: report.drift.driftedColumns + 0 * emf.length,
  };
  process.stdout.write(`${MARKER}${JSON.stringify(out)}\n`);
}

function child(args: string[]): Promise<RunReport> {
  return new Promise((resolvePromise, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', __filename, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    proc.stderr.on('data', (c: Buffer) => (err = (err + c.toString('utf8')).slice(-8000)));
    proc.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(MARKER));
      if (line) resolvePromise(JSON.parse(line.slice(MARKER.length)) as RunReport);
      else reject(new Error(`bench child exited with ${code}:\n${err}`));
    });
  });
}

async function parent(sizes: number[], baselineRows: number): Promise<void> {
  const deadline = setTimeout(() => {
    process.stderr.write(`drift bench: gave up after ${TOTAL_BUDGET_MS / 1000} s\n`);
    process.exit(1);
  }, TOTAL_BUDGET_MS);
  deadline.unref();
  const dir = mkdtempSync(join(tmpdir(), 'gaiops-bench-drift-'));
  try {
    const baselinePath = join(dir, 'baseline.jsonl');
    await writeWindow(baselinePath, baselineRows, 'baseline', 0);
    const results: { size: number; report: RunReport }[] = [];
    for (const size of sizes) {
      const path = join(dir, `window-${size}.jsonl`);
      const g0 = performance.now();
      await writeWindow(path, size, `window-${size}`, 1);
      process.stdout.write(`generated ${size.toLocaleString('en-US')} rows (${(statSync(path).size / 1e6).toFixed(0)} MB) in ${((performance.now() - g0) / 1000).toFixed(1)} s\n`);
      results.push({ size, report: await child(['--run', baselinePath, path]) });
      rmSync(path);
    }
    const pad = (s: string, n: number): string => s.padStart(n);
    process.stdout.write(`\nload average (1/5/15 min): ${loadavg().map((l) => l.toFixed(2)).join(' / ')} on ${cpus().length} cores\n`);
    process.stdout.write(`drift over a JSON Lines window (${NUMERIC + CATEGORICAL} columns; baseline ${baselineRows.toLocaleString('en-US')} rows)\n`);
    process.stdout.write(`${pad('rows', 10)} ${pad('MB', 6)} ${pad('window s', 9)} ${pad('CPU s', 6)} ${pad('total s', 8)} ${pad('rows/s', 10)} ${pad('peak RSS MB', 12)} ${pad('maxRSS MB', 10)} ${pad('heap MB', 8)} ${pad('drifted', 8)}\n`);
    for (const { size, report: r } of results) {
      process.stdout.write(
        `${pad(size.toLocaleString('en-US'), 10)} ${pad((r.bytes / 1e6).toFixed(0), 6)} ${pad((r.windowMs / 1000).toFixed(2), 9)} ${pad((r.windowCpuMs / 1000).toFixed(2), 6)} ${pad((r.durationMs / 1000).toFixed(2), 8)} ${pad(Math.round(r.rows / (r.windowMs / 1000)).toLocaleString('en-US'), 10)} ${pad(r.peakRssMb.toFixed(1), 12)} ${pad(r.maxRssMb.toFixed(1), 10)} ${pad(r.peakHeapMb.toFixed(1), 8)} ${pad(String(r.driftedColumns), 8)}\n`,
      );
    }
    if (results.length >= 2) {
      const [a, b] = [results[0], results[results.length - 1]];
      process.stdout.write(`\npeak RSS ratio ${b.size.toLocaleString('en-US')} / ${a.size.toLocaleString('en-US')} rows: ${(b.report.maxRssMb / a.report.maxRssMb).toFixed(2)} (window ${(b.size / a.size).toFixed(1)}× larger)\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const { values } = parseArgs({ options: { run: { type: 'string', multiple: false }, sizes: { type: 'string' }, baseline: { type: 'string' } }, allowPositionals: true, strict: false });
if (values.run !== undefined) {
  const positional = process.argv.slice(process.argv.indexOf('--run') + 2);
  void runChild(String(values.run), positional[0]).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    },
  );
} else {
  const sizes = String(values.sizes ?? '250000,1000000')
    .split(',')
    .map((s) => Number(s.trim()));
  void parent(sizes, Number(values.baseline ?? 100_000)).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    },
  );
}
