/**
 * Init-container entry of model-server pods: fetch the registered model into `MODEL_DIR`, then
 * exit 0 (or non-zero with one stderr line: 2 configuration, 3 registry, 4 governance, 5 artifact,
 * 1 unexpected). AWS credentials come from EKS Pod Identity through the default provider chain.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { RegistryClient } from '../../../model-registry/client/registry-client';
import { createLogger } from '../../../core/runtime/logger';
import { ModelFetcherError, parseModelFetcherConfig } from './config';
import { fetchModel } from './fetch-model';

export async function main(env: Readonly<Record<string, string | undefined>> = process.env, stderr: NodeJS.WritableStream = process.stderr): Promise<number> {
  let s3: S3Client | undefined;
  try {
    const config = parseModelFetcherConfig(env);
    const logger = createLogger('gaiops-model-fetcher', { persistentKeys: { model: config.modelName } });
    s3 = new S3Client({ region: config.region });
    const registry = new RegistryClient({ baseUrl: config.registryUrl, region: config.region, credentials: s3.config.credentials });
    await fetchModel(config, { registry, s3, log: (message, extra) => logger.info({ ...extra, message }) });
    return 0;
  } catch (error) {
    const stage = error instanceof ModelFetcherError ? error.stage : 'unexpected';
    const message = error instanceof Error ? error.message : String(error);
    stderr.write(`model fetch failed [${stage}]: ${message.replace(/\s+/g, ' ').slice(0, 2000)}\n`);
    return error instanceof ModelFetcherError ? error.exitCode : 1;
  } finally {
    s3?.destroy();
  }
}

if (require.main === module) {
  void main().then((code) => process.exit(code));
}
