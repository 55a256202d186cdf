/**
 * The reference deployment: `npm run synth` (or `cdktf synth`) writes
 * `cdktf.out/stacks/<stack>/cdk.tf.json`. For now one `foundation` stack for the `dev`
 * environment, built from the core pieces; later issues grow it into the whole platform.
 */
import {
  App,
  ContainerImage,
  EncryptionKey,
  LambdaCode,
  NodeFunction,
  PlatformStack,
  SecureBucket,
  SecureTable,
  TerraformOutput,
  type PlatformSettingsInput,
} from '../src';

export const REFERENCE_SETTINGS: PlatformSettingsInput = {
  prefix: 'gai',
  environment: 'dev',
  region: 'eu-west-1',
  owner: 'ml-platform-team',
  costCenter: 'cc-1234',
  ephemeral: true,
};

export function buildReferenceApp(options: { outdir?: string } = {}): App {
  // Without an explicit outdir cdktf uses CDKTF_OUTDIR (set by `gaiops synth --output`), then cdktf.out.
  const app = new App(options.outdir ? { outdir: options.outdir } : {});
  const stack = new PlatformStack(app, 'foundation', { settings: REFERENCE_SETTINGS });

  // One key for the data domain: logs may use it (the function's log group shares it).
  const dataKey = new EncryptionKey(stack, 'DataKey', { services: ['logs'] });
  const datasets = new SecureBucket(stack, 'Datasets', { encryptionKey: dataKey, dataClassification: 'confidential' });
  const versions = new SecureTable(stack, 'DatasetVersions', {
    encryptionKey: dataKey,
    partitionKey: { name: 'datasetId', type: 'S' },
    sortKey: { name: 'version', type: 'S' },
    timeToLiveAttribute: 'expiresAt',
  });

  // The object-digest service verifies dataset objects against their recorded sha256.
  const digest = new NodeFunction(stack, 'ObjectDigest', {
    code: LambdaCode.fromRuntime('object-digest'),
    description: 'Streams an S3 object through sha256 to verify dataset content hashes',
    encryptionKey: dataKey,
    environment: { DIGEST_ALLOWED_BUCKETS: datasets.bucketName },
    memorySize: 256,
    timeoutSeconds: 300,
  });
  datasets.grantRead(digest);
  versions.grantReadData(digest);

  const image = new ContainerImage(stack, 'ObjectDigestImage', { runtime: 'object-digest' });

  new TerraformOutput(stack, 'datasets_bucket', { value: datasets.bucketName });
  new TerraformOutput(stack, 'dataset_versions_table', { value: versions.tableName });
  new TerraformOutput(stack, 'object_digest_function', { value: digest.functionName });
  new TerraformOutput(stack, 'object_digest_image', { value: image.imageUri });
  return app;
}

if (require.main === module) {
  buildReferenceApp().synth();
}
