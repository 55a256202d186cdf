/**
 * An HTTP proxy in front of dynalite that behaves like a throttled DynamoDB for BatchGetItem: for
 * the next `throttle` BatchGetItem calls it returns only the first half of the found items and
 * reports the other requested keys as `UnprocessedKeys`, exactly as DynamoDB does under load. The
 * real SDK client talks to it over the real protocol (no SDK mocking).
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export interface ThrottlingProxy {
  readonly endpoint: string;
  /** Makes the next `n` BatchGetItem calls partial (Infinity: all of them). */
  throttle(n: number): void;
  /** BatchGetItem calls seen. */
  readonly batchGets: () => number;
  client(): DynamoDBClient;
  close(): Promise<void>;
}

type AttributeMap = Record<string, unknown>;

export async function startThrottlingProxy(target: string): Promise<ThrottlingProxy> {
  const upstream = new URL(target);
  let remaining = 0;
  let batchGets = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const isBatchGet = req.headers['x-amz-target'] === 'DynamoDB_20120810.BatchGetItem';
      if (isBatchGet) batchGets++;
      const partial = isBatchGet && remaining > 0;
      if (partial) remaining--;
      const forward = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
        (up) => {
          const parts: Buffer[] = [];
          up.on('data', (c: Buffer) => parts.push(c));
          up.on('end', () => {
            let out = Buffer.concat(parts);
            const headers = { ...up.headers };
            if (partial && up.statusCode === 200) {
              const request = JSON.parse(body.toString('utf8')) as { RequestItems: Record<string, { Keys: AttributeMap[] }> };
              const response = JSON.parse(out.toString('utf8')) as { Responses: Record<string, AttributeMap[]>; UnprocessedKeys: Record<string, { Keys: AttributeMap[] }> };
              for (const [table, { Keys }] of Object.entries(request.RequestItems)) {
                const items = response.Responses[table] ?? [];
                const keep = items.slice(0, Math.floor(items.length / 2));
                const kept = new Set(keep.map((i) => JSON.stringify(i.pk)));
                response.Responses[table] = keep;
                const unprocessed = Keys.filter((k) => !kept.has(JSON.stringify(k.pk)));
                if (unprocessed.length > 0) response.UnprocessedKeys = { ...response.UnprocessedKeys, [table]: { Keys: unprocessed } };
              }
              out = Buffer.from(JSON.stringify(response), 'utf8');
              delete headers['x-amz-crc32'];
            }
            headers['content-length'] = String(out.length);
            res.writeHead(up.statusCode ?? 500, headers);
            res.end(out);
          });
        },
      );
      forward.on('error', (error) => {
        res.writeHead(502);
        res.end(String(error));
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: DynamoDBClient[] = [];
  return {
    endpoint,
    throttle(n) {
      remaining = n;
    },
    batchGets: () => batchGets,
    client() {
      const c = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
      clients.push(c);
      return c;
    },
    async close() {
      clients.forEach((c) => c.destroy());
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
