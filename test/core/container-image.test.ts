import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContainerImage, GaiError, PUBLISH_SCRIPT, Role, loadRuntimeManifest } from '../../src';
import { gaiopsRoot } from '../../src/core/bundling/package-root';
import { only, platformStack, synth } from '../support/synth';

describe('ContainerImage', () => {
  it('creates an immutable, scanned, KMS-encrypted repository with a lifecycle keeping the newest images', () => {
    const stack = platformStack();
    new ContainerImage(stack, 'DigestImage', { runtime: 'object-digest' });
    const json = synth(stack);
    expect(only(json, 'aws_ecr_repository')).toMatchObject({
      name: 'gai-test-digest-image',
      image_tag_mutability: 'IMMUTABLE',
      image_scanning_configuration: { scan_on_push: true },
      encryption_configuration: [{ encryption_type: 'KMS', kms_key: expect.stringMatching(/^\$\{aws_kms_key\./) }],
      force_delete: false,
      lifecycle: { prevent_destroy: true },
    });
    const lifecycle = JSON.parse(only(json, 'aws_ecr_lifecycle_policy').policy);
    expect(lifecycle.rules[0].selection).toEqual({ tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 20 });
  });

  it('tags the image with the build-context hash and publishes it only when the hash changes', () => {
    const stack = platformStack();
    const image = new ContainerImage(stack, 'DigestImage', { runtime: 'object-digest', keepImages: 5 });
    const manifest = loadRuntimeManifest('object-digest');
    expect(image.tag).toBe(`sha256-${manifest.container!.hash.slice(0, 32)}`);
    const json = synth(stack);
    const publish = only(json, 'terraform_data');
    expect(publish.triggers_replace).toEqual({ tag: image.tag, repository: expect.stringMatching(/repository_url\}$/) });
    const exec = publish.provisioner[0]['local-exec'];
    expect(exec.command).toBe(PUBLISH_SCRIPT);
    expect(exec.environment).toMatchObject({
      REGION: 'eu-west-1',
      TAG: image.tag,
      PLATFORM: 'linux/arm64',
      CONTEXT: expect.stringMatching(new RegExp(`^assets/DigestImage_Context_[0-9A-F]+/${manifest.container!.hash}$`)),
    });
    expect(exec.environment.IMAGE).toMatch(/^\$\{aws_ecr_repository\..+\.repository_url\}:sha256-[0-9a-f]{32}$/);
    // Idempotent: an existing tag is not rebuilt.
    expect(PUBLISH_SCRIPT).toMatch(/describe-images[\s\S]*exit 0[\s\S]*docker buildx build/);
  });

  it('ships a Dockerfile with an exactly pinned base image, a numeric non-root user and nothing installed', () => {
    const dockerfile = readFileSync(join(gaiopsRoot(), 'dist/runtimes/object-digest/container/Dockerfile'), 'utf8');
    const from = dockerfile.match(/^FROM\s+(\S+)/m)![1];
    expect(from).toMatch(/:\d+\.\d+\.\d+-[a-z]+\d+(\.\d+)*$/);
    expect(from).not.toMatch(/:latest$/);
    expect(dockerfile).toMatch(/^USER\s+[1-9]\d*:[1-9]\d*$/m);
    expect(dockerfile).not.toMatch(/npm (install|ci)|yarn|pnpm/);
    const context = readFileSync(join(gaiopsRoot(), 'dist/runtimes/object-digest/container/index.js'), 'utf8');
    expect(context).not.toContain(gaiopsRoot());
  });

  it('grants pulling the image', () => {
    const stack = platformStack();
    const image = new ContainerImage(stack, 'DigestImage', { runtime: 'object-digest' });
    const role = new Role(stack, 'Node', { assumedBy: ['ec2.amazonaws.com'] });
    expect(image.grantPull(role).actions).toEqual(['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetAuthorizationToken', 'ecr:GetDownloadUrlForLayer']);
    synth(stack);
  });

  it('accepts prebuilt images only with a registry and an exact tag or digest', () => {
    expect(ContainerImage.fromUri('public.ecr.aws/docker/library/node:22.23.2-alpine3.24').imageUri).toContain(':22.23.2');
    expect(ContainerImage.fromUri(`123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:${'a'.repeat(64)}`).imageUri).toContain('@sha256:');
    expect(() => ContainerImage.fromUri('nginx')).toThrow(GaiError);
    expect(() => ContainerImage.fromUri('docker.io/library/nginx:latest')).toThrow(/latest/);
  });

  it('rejects unknown runtimes with the list of valid ones', () => {
    expect(() => new ContainerImage(platformStack(), 'X', { runtime: 'nope' as never, keepImages: 0 })).toThrow(/runtime: .*object-digest[\s\S]*keepImages/);
  });
});
