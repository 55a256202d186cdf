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

  it('runs as an esbuild bundle: serves, writes access-log lines to stdout, exits 0 on SIGTERM', async () => {
    const outfile = join(dir, 'index.js');
    buildSync({
      entryPoints: [join(ROOT, 'src/inference-service/runtime/gateway/server.ts')],
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
    const child: ChildProcess = spawn(process.execPath, ['--enable-source-maps', outfile], {
      env: {
        PATH: process.env.PATH,
        [GATEWAY_ENV.configPath]: join(dir, 'gateway.json'),
        [GATEWAY_ENV.keysPath]: join(dir, 'keys.json'),
        [GATEWAY_ENV.port]: '0',
        HOST: '127.0.0.1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: Array<Record<string, unknown>> = [];
    let buffered = '';
    const listening = new Promise<string>((resolveUrl, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        buffered += d.toString();
        const parts = buffered.split('\n');
        buffered = parts.pop()!;
        for (const part of parts) {
          const line = JSON.parse(part) as Record<string, unknown>;
          lines.push(line);
          if (line.message === 'listening') resolveUrl(line.url as string);
        }
      });
      child.once('exit', (code) => reject(new Error(`gateway exited early with ${code}`)));
    });
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
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
