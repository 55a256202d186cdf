/**
 * Gateway throughput and latency against a fake OpenAI upstream, with 64 keep-alive connections
 * (an undici Pool driving a closed loop: each connection sends its next request when the previous
 * response ended), non-streaming and streaming chat completions:
 *   (a) direct to the upstream — the ceiling;
 *   (b) nginx `proxy_pass` with upstream keepalive — the baseline (if /usr/sbin/nginx exists;
 *       Debian: `apt-get install -y nginx-light`), one worker process, 127.0.0.1 only;
 *   (c) the full gateway as it ships: the container bundle `dist/runtimes/inference-gateway/container/index.js`
 *       (rebuilt first when its sources changed), started the way the Dockerfile's ENTRYPOINT starts it
 *       (`node --enable-source-maps index.js`, config and keys from files, access log on stdout), with
 *       auth, validation, routing, limits, metrics (gen_ai names on) and the access log all on. Its
 *       stdout goes to /dev/null: the access-log lines are formatted and written, only the container
 *       runtime's log pipe is not there;
 *   (d) `node-floor`: a minimal Node.js proxy (node:http server + an undici Pool, model rewrite,
 *       streamed body, nothing else) — what any Node.js proxy costs on this machine, so the gap
 *       between (c) and (b) can be split into "Node.js" and "gateway logic".
 * Upstream, nginx and gateway each run in their own process; this process only generates load.
 * With `taskset` and 2+ CPUs, the proxy under test (nginx worker or gateway) is pinned to CPU 1 and
 * the load generator and upstream to CPU 0, so both proxies get the same single core.
 * Prints requests/s, p50, p99 and the gateway/nginx ratios. No thresholds: it prints numbers.
 *
 * Usage: tsx bench/gateway.bench.ts [--seconds 4] [--rounds 3] [--connections 64] [--baseline <index.js>]
 * `--baseline` adds a target `gateway-baseline`: another build of the gateway bundle (e.g. the
 * `dist/runtimes/inference-gateway/container/index.js` of another checkout), interleaved with the
 * others, for before/after comparisons under the same machine load.
 * `GATEWAY_BENCH_NODE_OPTIONS` adds V8/Node flags to the gateway processes only.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { buildStaleRuntimes, runtimeDir } from '../src/core/bundling/runtime-artifact';
import { GATEWAY_ENV } from '../src/inference-service/gateway-config';
import { hashApiKey } from '../src/inference-service/runtime/gateway/key-ring';
import { startFakeOpenAI } from '../test/support/fake-openai';

const NGINX = '/usr/sbin/nginx';
const READY = 'GAIOPS_BENCH_READY ';
const API_KEY = 'sk-bench';

interface Result {
  /** CPU time (user + system) per request, in microseconds, of the proxy process(es) — for `direct`, of the fake upstream itself. */
  readonly cpuUsPerRequest: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
}

async function childUpstream(): Promise<void> {
  const upstream = await startFakeOpenAI({ name: 'bench', record: false, streamChunks: 16 });
  process.stdout.write(`${READY}${upstream.url}\n`);
}

/** The shipped gateway bundle (rebuilt when stale, like `npm run bench` does before it runs). */
function gatewayBundle(): string {
  buildStaleRuntimes();
  return join(runtimeDir('inference-gateway'), 'container', 'index.js');
}

/** A free TCP port on 127.0.0.1 (the gateway takes its port from `PORT`). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** (c): the container bundle with its own entrypoint, configured through files and environment. */
async function startBundledGateway(bundle: string, upstreamUrl: string, dir: string, cpu: number): Promise<{ child: ChildProcess; url: string }> {
  const config = join(dir, `gateway-${cpu}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      model: 'assistant',
      variants: [
        { name: 'a', upstream: upstreamUrl, upstreamModel: 'served-a', weight: 50, costPerMillionInputTokensUsd: 0.5, costPerMillionOutputTokensUsd: 1.5 },
        { name: 'b', upstream: upstreamUrl, upstreamModel: 'served-b', weight: 50, costPerMillionInputTokensUsd: 0.5, costPerMillionOutputTokensUsd: 1.5 },
      ],
      metrics: { genAiSemconv: true },
    }),
  );
  const keys = join(dir, 'keys.json');
  writeFileSync(keys, JSON.stringify({ keys: [{ alias: 'bench', sha256: hashApiKey(API_KEY), requestsPerMinute: 1e9, tokensPerMinute: 1e12 }] }));
  const port = await freePort();
  const flags = (process.env.GATEWAY_BENCH_NODE_OPTIONS ?? '').split(' ').filter(Boolean);
  const [command, argv] = pinned(cpu, process.execPath, [...flags, '--enable-source-maps', bundle]);
  const child = spawn(command, argv, {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { PATH: process.env.PATH, NODE_ENV: 'production', [GATEWAY_ENV.configPath]: config, [GATEWAY_ENV.keysPath]: keys, [GATEWAY_ENV.port]: String(port), HOST: '127.0.0.1' },
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`gateway ${bundle} exited with ${code}`))));
  await Promise.race([waitForPort(`${url}/readyz`), exited]);
  return { child, url };
}

const TASKSET = '/usr/bin/taskset';
const PIN = existsSync(TASKSET) && cpus().length >= 2;

/** Runs `command` pinned to `cpu` when pinning is available. */
function pinned(cpu: number, command: string, args: string[]): [string, string[]] {
  return PIN ? [TASKSET, ['-c', String(cpu), command, ...args]] : [command, args];
}

/** (d): the smallest Node.js proxy doing the same transport work as the gateway. */
async function childMinimalProxy(upstreamUrl: string): Promise<void> {
  const pool = new Pool(upstreamUrl, { connections: 64, pipelining: 1 });
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown>;
      body.model = 'served-a';
      pool.request({ path: req.url ?? '/', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(
        (up) => {
          const headers: Record<string, string> = { 'content-type': String(up.headers['content-type']) };
          if (up.headers['content-length'] !== undefined) headers['content-length'] = String(up.headers['content-length']);
          res.writeHead(up.statusCode, headers);
          up.body.on('data', (c: Buffer) => {
            if (!res.write(c)) up.body.pause();
          });
          res.on('drain', () => up.body.resume());
          up.body.on('end', () => res.end());
          up.body.on('error', () => res.destroy());
        },
        () => {
          res.statusCode = 502;
          res.end();
        },
      );
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.stdout.write(`${READY}http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
}

function spawnChild(args: string[], cpu: number): Promise<{ child: ChildProcess; url: string }> {
  const [command, argv] = pinned(cpu, process.execPath, [...process.execArgv, __filename, ...args]);
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith(READY));
      if (line) resolve({ child, url: line.slice(READY.length).trim() });
    });
    child.once('exit', (code) => reject(new Error(`child ${args.join(' ')} exited with ${code}`)));
  });
}

function startNginx(upstreamUrl: string, dir: string): Promise<{ url: string; pid: number | undefined; stop: () => Promise<void> }> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const upstream = new URL(upstreamUrl).host;
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream model { server ${upstream}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    keepalive_requests 1000000;
    location / {
      proxy_pass http://model;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
`,
  );
  const [command, argv] = pinned(1, NGINX, ['-c', conf, '-p', dir]);
  const child = spawn(command, argv, { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = (): Promise<void> => {
    if (child.exitCode === null) child.kill('SIGTERM'); // nginx: fast shutdown of master and worker
    return exited;
  };
  return waitForPort(url).then(
    () => ({ url, pid: child.pid, stop }),
    async (error: unknown) => {
      await stop();
      throw error;
    },
  );
}

async function waitForPort(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`${url} did not come up`);
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime + stime (ms) of `pid` and its direct children, from /proc; 0 where /proc is unavailable. */
function processTreeCpuMs(pid: number | undefined): number {
  if (pid === undefined || !existsSync('/proc')) return 0;
  const stat = (p: string): string[] | undefined => {
    try {
      const text = readFileSync(`/proc/${p}/stat`, 'utf8');
      return text.slice(text.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
    } catch {
      return undefined;
    }
  };
  let ticks = 0;
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    const f = stat(p);
    if (!f) continue;
    if (Number(p) === pid || Number(f[1]) === pid) ticks += Number(f[11]) + Number(f[12]); // utime, stime
  }
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

async function load(url: string, body: string, headers: Record<string, string>, seconds: number, connections: number, proxyPid?: number): Promise<Result> {
  const pool = new Pool(url, { connections, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  let measuring = false;
  let stop = false;
  const worker = async (): Promise<void> => {
    while (!stop) {
      const started = performance.now();
      try {
        const res = await pool.request({ path: '/v1/chat/completions', method: 'POST', headers, body });
        for await (const chunk of res.body) void chunk;
        if (res.statusCode !== 200) errors += 1;
      } catch {
        errors += 1;
      }
      if (measuring) latencies.push(performance.now() - started);
    }
  };
  const workers = Array.from({ length: connections }, worker);
  await new Promise((r) => setTimeout(r, 1000)); // warm-up
  measuring = true;
  const cpu0 = processTreeCpuMs(proxyPid);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  measuring = false;
  const elapsed = (performance.now() - t0) / 1000;
  const cpuMs = processTreeCpuMs(proxyPid) - cpu0;
  const count = latencies.length;
  stop = true;
  await Promise.all(workers);
  await pool.close();
  latencies.sort((a, b) => a - b);
  const q = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN;
  return { rps: count / elapsed, p50: q(0.5), p99: q(0.99), errors, cpuUsPerRequest: proxyPid === undefined ? Number.NaN : (cpuMs * 1000) / count };
}

/** Per-field medians over runs. */
function medianResult(results: readonly Result[]): Result {
  const median = (pick: (r: Result) => number): number => {
    const v = results.map(pick).sort((a, b) => a - b);
    return v.length % 2 === 1 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  };
  return {
    rps: median((r) => r.rps),
    p50: median((r) => r.p50),
    p99: median((r) => r.p99),
    cpuUsPerRequest: median((r) => r.cpuUsPerRequest),
    errors: results.reduce((a, r) => a + r.errors, 0),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '4' }, connections: { type: 'string', default: '64' }, rounds: { type: 'string', default: '3' }, baseline: { type: 'string' } } });
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const connections = Number(values.connections);
  const children: ChildProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-'));
  let nginx: { url: string; pid: number | undefined; stop: () => Promise<void> } | undefined;
  const killChildren = (): void => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  };
  process.once('exit', killChildren);
  if (PIN) spawnSync(TASKSET, ['-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
  console.log(PIN ? 'pinning: proxy under test on CPU 1, load generator and upstream on CPU 0' : 'pinning: off (needs taskset and 2 CPUs)');
  try {
    const upstream = await spawnChild(['--upstream'], 0);
    children.push(upstream.child);
    const gateway = await startBundledGateway(gatewayBundle(), upstream.url, dir, 1);
    children.push(gateway.child);
    const floor = await spawnChild(['--minimal-proxy', upstream.url], 1);
    children.push(floor.child);
    const baseline = values.baseline ? await startBundledGateway(values.baseline, upstream.url, dir, 1) : undefined;
    if (baseline) children.push(baseline.child);
    if (existsSync(NGINX)) {
      const version = spawnSync(NGINX, ['-v'], { encoding: 'utf8' }).stderr.trim();
      console.log(`nginx: ${version} (1 worker, upstream keepalive 64, proxy_buffering off)`);
      nginx = await startNginx(upstream.url, dir);
    } else {
      console.log(`nginx: absent at ${NGINX} — install it with \`apt-get install -y nginx-light\` (Debian) to get the baseline`);
    }
    const targets: Array<{ name: string; url: string; gateway: boolean; pid?: number }> = [
      { name: 'direct', url: upstream.url, gateway: false, pid: upstream.child.pid },
      ...(nginx ? [{ name: 'nginx', url: nginx.url, gateway: false, pid: nginx.pid }] : []),
      { name: 'gateway', url: gateway.url, gateway: true, pid: gateway.child.pid },
      ...(baseline ? [{ name: 'gateway-baseline', url: baseline.url, gateway: true, pid: baseline.child.pid }] : []),
      { name: 'node-floor', url: floor.url, gateway: false, pid: floor.child.pid },
    ];
    const rows: Array<{ mode: string; target: string; r: Result }> = [];
    for (const stream of [false, true]) {
      const runs = new Map<string, Result[]>();
      // Targets interleaved round by round, so load from other processes on the machine hits all alike.
      for (let round = 0; round < rounds; round++) {
        for (const t of targets) {
          const body = JSON.stringify({
            model: t.gateway ? 'assistant' : 'served-a',
            messages: [{ role: 'user', content: 'Write one sentence about benchmarks.' }],
            user: 'bench-user',
            ...(stream ? { stream: true } : {}),
          });
          const headers: Record<string, string> = { 'content-type': 'application/json', ...(t.gateway ? { authorization: `Bearer ${API_KEY}` } : {}) };
          const r = await load(t.url, body, headers, seconds, connections, t.pid);
          runs.set(t.name, [...(runs.get(t.name) ?? []), r]);
        }
      }
      for (const t of targets) rows.push({ mode: stream ? 'stream' : 'non-stream', target: t.name, r: medianResult(runs.get(t.name)!) });
    }
    console.log(`\n${connections} connections, chat completions (stream: 16 content chunks); median of ${rounds} interleaved runs of ${seconds} s (after 1 s warm-up each)\n`);
    console.log('| mode | target | req/s | p50 ms | p99 ms | errors | proxy CPU µs/req | req/s vs nginx | p99 vs nginx |');
    console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const row of rows) {
      const base = rows.find((x) => x.mode === row.mode && x.target === 'nginx')?.r;
      const ratio = (a: number, b: number | undefined): string => (b ? `${(a / b).toFixed(2)}×` : 'n/a');
      console.log(
        `| ${row.mode} | ${row.target} | ${row.r.rps.toFixed(0)} | ${row.r.p50.toFixed(2)} | ${row.r.p99.toFixed(2)} | ${row.r.errors} | ${Number.isNaN(row.r.cpuUsPerRequest) ? '-' : row.r.cpuUsPerRequest.toFixed(0)} | ${ratio(row.r.rps, base?.rps)} | ${ratio(row.r.p99, base?.p99)} |`,
      );
    }
  } finally {
    await nginx?.stop();
    killChildren();
    rmSync(dir, { recursive: true, force: true });
  }
}

const [mode, arg] = process.argv.slice(2);
if (mode === '--upstream') void childUpstream();
else if (mode === '--minimal-proxy') void childMinimalProxy(arg);
else
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
