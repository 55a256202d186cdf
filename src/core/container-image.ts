import { EcrLifecyclePolicy } from '@cdktf/provider-aws/lib/ecr-lifecycle-policy';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { z } from 'zod';
import { RUNTIMES, type RuntimeName } from '../runtimes';
import { loadRuntimeManifest, runtimeDir } from './bundling/runtime-artifact';
import { EncryptionKey } from './encryption-key';
import { GaiError } from './errors';
import { Grant, type IGrantable } from './iam/grant';
import { PlatformContext } from './platform-context';
import { protectFromDestroy } from './protection';
import { instanceOf, parseProps } from './props';
import { AssetType, DataResource, TerraformAsset } from './tf';

/** Anything that names a container image. */
export interface IContainerImage {
  /** `<registry>/<repository>:<tag>` (may be a token). */
  readonly imageUri: string;
}

/**
 * The script the publish step runs where `terraform apply` runs. It needs `aws` (v2) and `docker`
 * with buildx there, and credentials that may push to the repository. It is idempotent: an image
 * whose tag (the context hash) is already in the repository is not rebuilt.
 */
export const PUBLISH_SCRIPT = [
  'set -euo pipefail',
  'if aws ecr describe-images --region "$REGION" --repository-name "$REPOSITORY" --image-ids imageTag="$TAG" >/dev/null 2>&1; then',
  '  echo "gaiops: $IMAGE already published"; exit 0',
  'fi',
  'aws ecr get-login-password --region "$REGION" | docker login --username AWS --password-stdin "${IMAGE%%/*}"',
  'docker buildx build --platform "$PLATFORM" --provenance=false --tag "$IMAGE" --push "$CONTEXT"',
].join('\n');

export const ContainerImagePropsSchema = z.strictObject({
  runtime: z
    .enum(RUNTIMES.filter((r) => 'container' in r).map((r) => r.name) as [RuntimeName, ...RuntimeName[]])
    .describe('The gaiops runtime whose container build context (Dockerfile + bundle, from `npm run build:runtimes`) is published.'),
  repositoryName: z
    .string()
    .regex(/^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/, 'must be a valid ECR repository name')
    .max(256)
    .optional()
    .describe('ECR repository name. Default `<prefix>-<environment>-<construct path>`.'),
  encryptionKey: instanceOf(EncryptionKey, 'EncryptionKey').optional().describe('KMS key for the repository. Default a new EncryptionKey.'),
  keepImages: z.number().int().min(1).max(1000).default(20).describe('Lifecycle: keep the newest N images, expire older ones. Default 20.'),
  platform: z.enum(['linux/arm64', 'linux/amd64']).default('linux/arm64').describe('Image platform. Default `linux/arm64` (Graviton nodes).'),
});
export type ContainerImageProps = z.input<typeof ContainerImagePropsSchema>;

/**
 * A container image built from a gaiops runtime and published to its own ECR repository
 * (immutable tags, scan on push, KMS encryption, lifecycle keeping the newest images). The tag is
 * the content hash of the build context, so an unchanged runtime never triggers a rebuild and a
 * changed one always gets a new tag. Building happens in a `terraform_data` local-exec during
 * `terraform apply` (docker, buildx and AWS credentials must exist there; see PUBLISH_SCRIPT) and
 * runs only when the hash changes. For a prebuilt image use `ContainerImage.fromUri`.
 */
export class ContainerImage extends Construct implements IContainerImage {
  /** A prebuilt image, e.g. `public.ecr.aws/…/vllm-openai:v0.11.0`. Nothing is created. */
  static fromUri(uri: string): IContainerImage {
    if (!/^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+(:[A-Za-z0-9._-]{1,128}|@sha256:[a-f0-9]{64})$/.test(uri)) {
      throw new GaiError('gaiops:container-image:bad-uri', `${uri} is not an image URI with a registry and an exact tag or digest`);
    }
    if (/:latest$/.test(uri)) throw new GaiError('gaiops:container-image:latest', `${uri}: pin an exact tag or digest, not latest`);
    return { imageUri: uri };
  }

  readonly repository: EcrRepository;
  readonly encryptionKey: EncryptionKey;
  /** The content hash tag, e.g. `sha256-3f2a…`. */
  readonly tag: string;
  readonly imageUri: string;
  /** The publish step: depend on it before running the image. */
  readonly publish: DataResource;

  constructor(scope: Construct, id: string, props: ContainerImageProps) {
    super(scope, id);
    const p = parseProps(this, ContainerImagePropsSchema, props);
    const ctx = PlatformContext.of(this);
    const manifest = loadRuntimeManifest(p.runtime);
    if (!manifest.container) throw new GaiError('gaiops:runtime:no-container', `runtime ${p.runtime} has no container form`);

    this.encryptionKey = p.encryptionKey ?? new EncryptionKey(this, 'Key');
    this.repository = new EcrRepository(this, 'Resource', {
      name: p.repositoryName ?? ctx.physicalName('ecr', this),
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [{ encryptionType: 'KMS', kmsKey: this.encryptionKey.keyArn }],
      forceDelete: false,
    });
    protectFromDestroy(this.repository, ctx);
    new EcrLifecyclePolicy(this, 'Lifecycle', {
      repository: this.repository.name,
      policy: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            description: `keep the newest ${p.keepImages} images`,
            selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: p.keepImages },
            action: { type: 'expire' },
          },
        ],
      }),
    });

    this.tag = manifest.container.tag;
    this.imageUri = `${this.repository.repositoryUrl}:${this.tag}`;
    const context = new TerraformAsset(this, 'Context', {
      path: join(runtimeDir(p.runtime), manifest.container.dir),
      type: AssetType.DIRECTORY,
      assetHash: manifest.container.hash,
    });
    this.publish = new DataResource(this, 'Publish', {
      triggersReplace: { tag: this.tag, repository: this.repository.repositoryUrl },
      provisioners: [
        {
          type: 'local-exec',
          interpreter: ['/bin/bash', '-c'],
          command: PUBLISH_SCRIPT,
          environment: {
            REGION: ctx.region,
            REPOSITORY: this.repository.name,
            TAG: this.tag,
            IMAGE: this.imageUri,
            PLATFORM: p.platform,
            CONTEXT: context.path,
          },
        },
      ],
    });
  }

  /** Pull this image (e.g. a node role or a pod identity role). */
  grantPull(grantee: IGrantable): Grant {
    this.encryptionKey.grantDecrypt(grantee, { viaService: 'ecr' });
    return Grant.addTo(grantee, [
      { actions: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'], resources: [this.repository.arn] },
      { actions: ['ecr:GetAuthorizationToken'], resources: ['*'] },
    ]);
  }
}
