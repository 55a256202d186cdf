/**
 * `npm run bench`: synth cost of the gaiops reference app against a minimal cdktf app (one stack,
 * the AWS provider, one S3 bucket), measured in the same run on the same machine.
 *
 * Each run is a fresh child process started the same way for both apps (`node --import tsx`), so
 * launcher overhead is equal. Per run we record
 *   - wall: spawn → exit, as seen from here (node + tsx startup, import, build, synth, exit);
 *   - import+synth: measured inside the child, from before the app module is required to after
 *     `app.synth()` returns (the part gaiops is responsible for);
 *   - peak RSS: the child's `process.resourceUsage().maxRSS` at the end.
 * One discarded warm-up run per app first fills tsx's transform cache and the OS file cache.
 * Runs alternate between apps so drift (thermal, background load) hits both alike.
 * No thresholds, no assertions: it prints numbers.
 *
 * Usage: tsx bench/synth.bench.ts [--runs N]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { arch, cpus, loadavg, platform, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const ROOT = resolve(__dirname, '..');
const MARKER = 'GAIOPS_BENCH_RESULT ';
/** Soft limit for the whole bench; runs are reduced to fit unless --runs is given. */
const BUDGET_MS = 100_000;
const CHILD_TIMEOUT_MS = 120_000;

interface AppSpec {
  readonly name: string;
  readonly file: string;
  /** Why the app cannot run, when it cannot. */
  readonly missing?: string;
}

interface RunResult {
  readonly wallMs: number;
  readonly inChildMs: number;
  readonly importMs: number;
  readonly maxRssMb: number;
}

interface ChildReport {
  readonly importMs: number;
  readonly totalMs: number;
  readonly maxRssKb: number;
}

// ---------------------------------------------------------------------------------------------
// Child mode: `--child <app file> <outdir>`. Only node built-ins are loaded before the clock starts.

function child(appFile: string, outdir: string): void {
  const t0 = performance.now();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(appFile) as { run(outdir: string): void };
  const t1 = performance.now();
  mod.run(outdir);
  const t2 = performance.now();
  const report: ChildReport = { importMs: t1 - t0, totalMs: t2 - t0, maxRssKb: process.resourceUsage().maxRSS };
  process.stdout.write(`\n${MARKER}${JSON.stringify(report)}\n`);
}

// ---------------------------------------------------------------------------------------------
// Parent mode.

function runOnce(app: AppSpec): RunResult {
  const outdir = mkdtempSync(join(tmpdir(), `gaiops-bench-${app.name}-`));
  try {
    const start = performance.now();
    const res = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--child', app.file, outdir], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: CHILD_TIMEOUT_MS,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, CDKTF_OUTDIR: outdir },
    });
    const wallMs = performance.now() - start;
    const line = res.stdout?.split('\n').find((l) => l.startsWith(MARKER));
    if (res.status !== 0 || line === undefined) {
      const why = res.error ? res.error.message : res.signal ? `killed by ${res.signal}` : `exit code ${res.status}`;
      const tail = `${res.stderr ?? ''}${res.stdout ?? ''}`.trim().split('\n').slice(-25).join('\n');
      throw new Error(`${app.name} app failed (${why}):\n${tail}`);
    }
    const report = JSON.parse(line.slice(MARKER.length)) as ChildReport;
    lastShape.set(app.name, shapeOf(outdir));
    return { wallMs, inChildMs: report.totalMs, importMs: report.importMs, maxRssMb: report.maxRssKb / 1024 };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Stacks and resources the app synthesized (read from the last run's output). */
const lastShape = new Map<string, string>();
function shapeOf(outdir: string): string {
  try {
    const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as {
      stacks: Record<string, { synthesizedStackPath: string }>;
    };
    let resources = 0;
    let data = 0;
    const stacks = Object.values(manifest.stacks);
    for (const s of stacks) {
      const json = JSON.parse(readFileSync(join(outdir, s.synthesizedStackPath), 'utf8')) as {
        resource?: Record<string, Record<string, unknown>>;
        data?: Record<string, Record<string, unknown>>;
      };
      for (const byName of Object.values(json.resource ?? {})) resources += Object.keys(byName).length;
      for (const byName of Object.values(json.data ?? {})) data += Object.keys(byName).length;
    }
    const n = (k: number, w: string) => `${k} ${w}${k === 1 ? '' : 's'}`;
    return `${n(stacks.length, 'stack')}, ${n(resources, 'resource')}, ${data} data`;
  } catch {
    return '?';
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
}

function parent(argv: readonly string[]): number {
  const { values } = parseArgs({ args: [...argv], options: { runs: { type: 'string' } }, strict: true });
  const explicitRuns = values.runs !== undefined;
  let runs = explicitRuns ? Number(values.runs) : 5;
  if (!Number.isInteger(runs) || runs < 1) {
    process.stderr.write(`--runs must be a positive integer, got ${values.runs}\n`);
    return 2;
  }

  const apps: AppSpec[] = [
    { name: 'minimal', file: join(__dirname, 'minimal-app.ts') },
    {
      name: 'reference',
      file: join(__dirname, 'reference-app.ts'),
      missing: existsSync(join(ROOT, 'stacks', 'main.ts')) ? undefined : 'stacks/main.ts does not exist yet',
    },
  ];
  const runnable = apps.filter((a) => a.missing === undefined);

  const cpu = cpus();
  process.stdout.write(
    `node ${process.version} · ${platform()} ${arch()} · ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}` +
      ` · load average ${loadavg()[0].toFixed(2)} (timings are noisy when it exceeds the CPU count)\n` +
      `launcher: node --import tsx (fresh process per run, both apps)\n`,
  );
  for (const a of apps) if (a.missing) process.stdout.write(`skipping ${a.name}: ${a.missing}\n`);

  const results = new Map<string, RunResult[]>(runnable.map((a) => [a.name, []]));
  const failed = new Map<string, string>();
  const benchStart = performance.now();

  // Warm-up (discarded).
  let warmupMs = 0;
  for (const app of runnable) {
    try {
      warmupMs += runOnce(app).wallMs;
    } catch (err) {
      failed.set(app.name, (err as Error).message);
    }
  }
  const active = runnable.filter((a) => !failed.has(a.name));
  if (!explicitRuns && warmupMs > 0) {
    const fit = Math.max(3, Math.floor((BUDGET_MS - warmupMs) / warmupMs));
    if (fit < runs) {
      process.stdout.write(`(reducing to ${fit} runs to stay near ${BUDGET_MS / 1000} s; pass --runs N to override)\n`);
      runs = fit;
    }
  }
  process.stdout.write(`${runs} measured run${runs === 1 ? '' : 's'} per app after 1 warm-up\n\n`);

  for (let i = 0; i < runs; i++) {
    for (const app of active) {
      if (failed.has(app.name)) continue;
      try {
        results.get(app.name)!.push(runOnce(app));
      } catch (err) {
        failed.set(app.name, (err as Error).message);
      }
    }
  }

  const header = ['app', 'wall median', 'min', 'max', 'import+synth median', '(import)', 'peak RSS median', 'output'];
  const rows: string[][] = [header];
  const ms = (x: number) => `${Math.round(x)} ms`;
  const summary = new Map<string, { wall: number; inChild: number; rss: number }>();
  for (const app of apps) {
    const rs = results.get(app.name) ?? [];
    if (rs.length === 0) {
      rows.push([app.name, app.missing ? 'skipped' : 'failed', '', '', '', '', '', '']);
      continue;
    }
    const wall = rs.map((r) => r.wallMs);
    const s = { wall: median(wall), inChild: median(rs.map((r) => r.inChildMs)), rss: median(rs.map((r) => r.maxRssMb)) };
    summary.set(app.name, s);
    rows.push([
      app.name,
      ms(s.wall),
      ms(Math.min(...wall)),
      ms(Math.max(...wall)),
      ms(s.inChild),
      ms(median(rs.map((r) => r.importMs))),
      `${s.rss.toFixed(1)} MB`,
      lastShape.get(app.name) ?? '',
    ]);
  }
  process.stdout.write(`${table(rows)}\n`);

  const ref = summary.get('reference');
  const min = summary.get('minimal');
  if (ref && min) {
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
    process.stdout.write(
      `\nreference / minimal: wall ${ratio(ref.wall, min.wall)}, import+synth ${ratio(ref.inChild, min.inChild)}, ` +
        `peak RSS ${ratio(ref.rss, min.rss)}\n`,
    );
  }
  process.stdout.write(`\nbench took ${((performance.now() - benchStart) / 1000).toFixed(1)} s\n`);

  for (const [name, message] of failed) process.stderr.write(`\n${name}: ${message}\n`);
  return failed.size > 0 ? 1 : 0;
}

if (process.argv[2] === '--child') {
  child(resolve(process.argv[3]), resolve(process.argv[4]));
} else {
  process.exitCode = parent(process.argv.slice(2));
}
