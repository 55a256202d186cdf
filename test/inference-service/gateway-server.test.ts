/**
 * The container form of the gateway: the esbuild bundle of `server.ts` (as the shared Node
 * Dockerfile runs it, `node --enable-source-maps index.js`) reads GATEWAY_ENV, serves, logs, and
 * exits 0 on SIGTERM after draining.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import OpenAI from 'openai';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_ENV } from '../../src/inference-service/gateway-config';
import { hashApiKey } from '../../src/inference-service/runtime/gateway/key-ring';
import { main } from '../../src/inference-service/runtime/gateway/server';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai';

const ROOT = resolve(__dirname, '../..');

describe('gateway container entry', () => {
  let dir: string;
  let upstream: FakeOpenAI;
  beforeAll(async () => {
    upstream = await startFakeOpenAI({ name: 'a' });
    dir = mkdtempSync(join(tmpdir(), 'gw-server-'));
    writeFileSync(join(dir, 'gateway.json'), JSON.stringify({ model: 'assistant', variants: [{ name: 'a', upstream: upstream.url, upstreamModel: 'served-a', weight: 1 }] }));
    writeFileSync(join(dir, 'keys.json'), JSON.stringify({ keys: [{ alias: 'team-a', sha256: hashApiKey('sk-team-a') }] }));
  });
  afterAll(async () => {
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to start without the file paths', async () => {
    await expect(main({ [GATEWAY_ENV.keysPath]: 'x' })).rejects.toThrow(`${GATEWAY_ENV.configPath} must name the gateway.json file`);
    await expect(main({ [GATEWAY_ENV.configPath]: 'x', [GATEWAY_ENV.keysPath]: 'y', [GATEWAY_ENV.port]: 'http' })).rejects.toThrow(/PORT must be an integer/);
  });

  /** Bundles `entry` (a file under the project, or a file in `dir`) the way the container bundle is built. */
  const bundle = (entry: string, name: string): string => {
    const outfile = join(dir, name);
    buildSync({
      entryPoints: [entry],
      absWorkingDir: ROOT,
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      sourcemap: 'linked',
      mainFields: ['module', 'main'],
      logLevel: 'silent',
    });
    return outfile;
  };

  /** Starts a gateway bundle; stdout lines are split into JSON log lines and other (V8 trace) lines. */
  const startBundle = (file: string, nodeFlags: readonly string[] = [], keysFile = 'keys.json') => {
    const child: ChildProcess = spawn(process.execPath, [...nodeFlags, '--enable-source-maps', file], {
      env: {
        PATH: process.env.PATH,
        [GATEWAY_ENV.configPath]: join(dir, 'gateway.json'),
        [GATEWAY_ENV.keysPath]: join(dir, keysFile),
        [GATEWAY_ENV.port]: '0',
        HOST: '127.0.0.1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: Array<Record<string, unknown>> = [];
    const other: string[] = [];
    let buffered = '';
    const listening = new Promise<string>((resolveUrl, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        buffered += d.toString();
        const parts = buffered.split('\n');
        buffered = parts.pop()!;
        for (const part of parts) {
          if (!part.startsWith('{')) {
            other.push(part);
            continue;
          }
          const line = JSON.parse(part) as Record<string, unknown>;
          lines.push(line);
          if (line.message === 'listening') resolveUrl(line.url as string);
        }
      });
      child.once('exit', (code) => reject(new Error(`gateway exited early with ${code}`)));
    });
    listening.catch(() => undefined);
    return { child, lines, other, listening };
  };

  /** `count` chat completions, `concurrency` at a time, over keep-alive connections. */
  const burst = async (url: string, count: number, concurrency: number): Promise<number[]> => {
    const pool = new Pool(url, { connections: concurrency });
    const body = JSON.stringify({ model: 'assistant', messages: [{ role: 'user', content: 'hi' }], user: 'u-1' });
    const statuses: number[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < count) {
        next += 1;
        const res = await pool.request({ path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-team-a' }, body });
        await res.body.text();
        statuses.push(res.statusCode);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    await pool.close();
    return statuses;
  };

  it('turns off V8 allocation-site pretenuring as the entry, before a cold burst (a library import does not)', async () => {
    // `--trace-pretenuring --trace-pretenuring-statistics` print a `pretenuring:` line for each
    // allocation site V8 evaluates at a scavenge. The entry bundle must print none under a burst of 64 concurrent requests; the same
    // code started through another entry (main() imported, the process flags untouched) prints them.
    const controlEntry = join(dir, 'control-entry.ts');
    writeFileSync(join(dir, 'keys-burst.json'), JSON.stringify({ keys: [{ alias: 'team-a', sha256: hashApiKey('sk-team-a'), requestsPerMinute: 1_000_000, tokensPerMinute: 1_000_000_000 }] }));
    // The control starts the same gateway without the container entry (startGateway, as gaiops dev does).
    writeFileSync(
      controlEntry,
      [
        `import { startGateway } from ${JSON.stringify(join(ROOT, 'src/inference-service/runtime/gateway/gateway'))};`,
        `void startGateway({ configPath: process.env.${GATEWAY_ENV.configPath}!, keysPath: process.env.${GATEWAY_ENV.keysPath}!, accessLog: process.stdout })`,
        `  .then((s) => process.stdout.write(JSON.stringify({ message: 'listening', url: s.url }) + '\\n'));`,
        `process.once('SIGTERM', () => process.exit(0));`,
      ].join('\n'),
    );
    for (const [file, expectTracking] of [
      [bundle(join(ROOT, 'src/inference-service/runtime/gateway/server.ts'), 'entry.js'), false],
      [bundle(controlEntry, 'control.js'), true],
    ] as const) {
      const gw = startBundle(file, ['--trace-pretenuring', '--trace-pretenuring-statistics'], 'keys-burst.json');
      try {
        const statuses = await burst(await gw.listening, 1500, 64);
        expect(statuses.filter((s) => s !== 200)).toEqual([]);
        const closed = once(gw.child, 'close'); // after stdout is drained (V8 writes its trace through C stdio)
        gw.child.kill('SIGTERM');
        await closed;
        const tracked = gw.other.filter((l) => l.includes('pretenuring:'));
        if (expectTracking) expect(tracked.length, 'V8 tracks allocation sites when the flag is left on').toBeGreaterThan(0);
        else expect(tracked).toEqual([]);
      } finally {
        if (gw.child.exitCode === null) gw.child.kill('SIGKILL');
      }
    }
  });

  it('runs as an esbuild bundle: serves, writes access-log lines to stdout, exits 0 on SIGTERM', async () => {
    const { child, lines, other, listening } = startBundle(bundle(join(ROOT, 'src/inference-service/runtime/gateway/server.ts'), 'index.js'));
    try {
      const url = await listening;
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      const client = new OpenAI({ apiKey: 'sk-team-a', baseURL: `${url}/v1`, maxRetries: 0 });
      const answer = await client.chat.completions.create({ model: 'assistant', messages: [{ role: 'user', content: 'hi' }] });
      expect(answer.choices[0].message.content).toBe('Hello from a');
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = await exited;
      expect(code).toBe(0);
      expect(lines.find((l) => l.message === 'access')).toMatchObject({ keyAlias: 'team-a', status: 200, usageInput: 11, usageOutput: 7 });
      expect(lines.map((l) => l.message)).toEqual(expect.arrayContaining(['gateway config loaded', 'gateway keys loaded', 'listening', 'shutting down', 'stopped']));
      expect(other).toEqual([]); // every stdout line is JSON
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
