/**
 * Embedded, protocol-compatible AWS services for runtime tests: s3rver (S3) and dynalite
 * (DynamoDB), on 127.0.0.1 with a random port, plus real SDK clients pointed at them. No SDK mocks.
 * The servers are the ones `gaiops dev` runs (`src/cli/dev/embedded-*.ts`); tests add a temp
 * directory for s3rver that is removed on close.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EmbeddedDynamo, startEmbeddedDynamo } from '../../src/cli/dev/embedded-dynamo';
import { type EmbeddedS3, startEmbeddedS3 } from '../../src/cli/dev/embedded-s3';

export type { EmbeddedDynamo, EmbeddedS3 };

/** Starts s3rver on 127.0.0.1:<random> with a temp directory removed on close. */
export async function startS3(): Promise<EmbeddedS3> {
  const directory = mkdtempSync(join(tmpdir(), 'gaiops-s3rver-'));
  const s3 = await startEmbeddedS3(directory);
  return {
    ...s3,
    async close() {
      await s3.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** Starts dynalite (in memory, tables active at once) on 127.0.0.1:<random>. */
export function startDynamo(): Promise<EmbeddedDynamo> {
  return startEmbeddedDynamo();
}
