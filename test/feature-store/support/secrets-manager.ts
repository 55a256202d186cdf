/**
 * A minimal, protocol-compatible Secrets Manager endpoint for tests (like s3rver and dynalite for
 * S3 and DynamoDB): it answers `GetSecretValue` over the real AWS JSON 1.1 protocol, so the real
 * SDK client is exercised. No SDK mocking. It counts calls so caching can be asserted.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export interface EmbeddedSecrets {
  readonly endpoint: string;
  /** GetSecretValue calls served so far. */
  readonly calls: () => number;
  client(): SecretsManagerClient;
  close(): Promise<void>;
}

export async function startSecretsManager(secrets: Readonly<Record<string, string>>): Promise<EmbeddedSecrets> {
  let calls = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const reply = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      };
      if (target !== 'secretsmanager.GetSecretValue') {
        reply(400, { __type: 'InvalidRequestException', message: `unsupported operation ${target}` });
        return;
      }
      calls++;
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { SecretId?: string };
      const id = input.SecretId ?? '';
      if (!(id in secrets)) {
        reply(400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
        return;
      }
      reply(200, { ARN: id, Name: id.split(':').pop(), SecretString: secrets[id], VersionId: 'v1', VersionStages: ['AWSCURRENT'], CreatedDate: 1767225600 });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: SecretsManagerClient[] = [];
  return {
    endpoint,
    calls: () => calls,
    client() {
      const c = new SecretsManagerClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
      clients.push(c);
      return c;
    },
    async close() {
      clients.forEach((c) => c.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
