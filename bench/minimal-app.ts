/**
 * Baseline for `npm run bench`: the smallest useful cdktf app — one stack, the AWS provider and one
 * S3 bucket. It deliberately imports `cdktf` directly (not `src/core/tf.ts`) so it measures plain
 * cdktf + @cdktf/provider-aws cost and nothing of gaiops.
 *
 * Standalone: `tsx bench/minimal-app.ts [outdir]` (else `CDKTF_OUTDIR`, else a fresh temp dir).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { App, TerraformStack } from 'cdktf';

/** Builds and synthesizes the minimal app into `outdir`. */
export function run(outdir: string): void {
  const app = new App({ outdir, stackTraces: false });
  const stack = new TerraformStack(app, 'minimal');
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  new S3Bucket(stack, 'bucket', { bucketPrefix: 'gaiops-bench-' });
  app.synth();
}

if (require.main === module) {
  const outdir = process.argv[2] ?? process.env.CDKTF_OUTDIR ?? mkdtempSync(join(tmpdir(), 'gaiops-bench-minimal-'));
  run(outdir);
  process.stdout.write(`synthesized minimal app into ${outdir}\n`);
}
