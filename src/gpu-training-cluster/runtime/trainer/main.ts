/**
 * Container entry of the trainer: `node index.js -- <training command...>` (see README.md).
 * Validates the environment, wires real AWS clients (credentials and region from the standard SDK
 * chain, e.g. EKS Pod Identity), runs the pipeline and exits with the step's exit code, printing
 * one failure line on stderr. Progress is logged as JSON lines on stdout.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createLogger } from '../../../core/runtime/logger';
import { RegistryClient } from '../../../model-registry/client/registry-client';
import { parseCommand, parseTrainerConfig } from './config';
import { EXIT_CODES, exitCodeOf, failureLine } from './errors';
import { type TrainerLogger, runTrainer } from './trainer';

export interface MainIo {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stderr: { write(line: string): unknown };
}

/** Runs the trainer; resolves to the process exit code (never throws). */
export async function main(io: MainIo = { argv: process.argv.slice(2), env: process.env, stderr: process.stderr }): Promise<number> {
  let config;
  try {
    config = parseTrainerConfig(io.env, parseCommand(io.argv));
  } catch (error) {
    io.stderr.write(`${failureLine(error)}\n`);
    return exitCodeOf(error);
  }
  const powertools = createLogger('gaiops-trainer', { persistentKeys: { model: config.registry.modelName, datasetGroup: config.dataset.group } });
  const logger: TrainerLogger = {
    info: (message, extra) => powertools.info({ ...extra, message }),
    warn: (message, extra) => powertools.warn({ ...extra, message }),
  };
  const s3 = new S3Client({});
  const dynamoClient = config.dataset.versionsTable ? new DynamoDBClient({}) : undefined;
  try {
    const registry = new RegistryClient({ baseUrl: config.registry.url, region: config.registry.region, credentials: s3.config.credentials });
    const result = await runTrainer(config, {
      s3,
      ...(dynamoClient ? { dynamo: DynamoDBDocumentClient.from(dynamoClient) } : {}),
      registry,
      logger,
      signals: process,
    });
    if (result.role === 'leader') {
      logger.info('trainer finished', { version: result.registration.version, status: result.registration.status, artifactDigest: result.artifact.digest });
    } else {
      logger.info('trainer finished (worker rank, nothing registered)', { nodeRank: result.nodeRank });
    }
    return EXIT_CODES.ok;
  } catch (error) {
    io.stderr.write(`${failureLine(error)}\n`);
    return exitCodeOf(error);
  } finally {
    s3.destroy();
    dynamoClient?.destroy();
  }
}

if (require.main === module) {
  void main().then((code) => process.exit(code));
}
