import type { PolicyRule } from '../types';
import { customerManagedKeyProblems, firstBlock, isTrue, related, show } from './helpers';

const REPOSITORY = ['aws_ecr_repository'] as const;

const IMMUTABLE = ['IMMUTABLE', 'IMMUTABLE_WITH_EXCLUSION'];

export const ecrImmutableTags: PolicyRule = {
  id: 'GAI-ECR-001',
  severity: 'error',
  title: 'ECR repositories have immutable image tags',
  rationale: 'With mutable tags, pushing an image can silently change what a deployed tag runs; immutable tags make a tag name one image forever.',
  fix: 'Set image_tag_mutability = "IMMUTABLE" on the aws_ecr_repository (or "IMMUTABLE_WITH_EXCLUSION" with image_tag_mutability_exclusion_filter for tags such as latest).',
  appliesTo: REPOSITORY,
  check: (repo) => {
    const mutability = repo.config.image_tag_mutability;
    if (typeof mutability === 'string' && IMMUTABLE.includes(mutability)) return [];
    return [
      mutability === undefined
        ? 'image_tag_mutability is not set, so tags are MUTABLE'
        : `image_tag_mutability is ${show(mutability)}; expected "IMMUTABLE" or "IMMUTABLE_WITH_EXCLUSION"`,
    ];
  },
};

export const ecrScanOnPush: PolicyRule = {
  id: 'GAI-ECR-002',
  severity: 'error',
  title: 'ECR repositories scan images on push',
  rationale: 'Scanning on push reports known vulnerabilities in an image before it is deployed.',
  fix: 'Set image_scanning_configuration { scan_on_push = true } on the aws_ecr_repository (or configure enhanced scanning for the registry).',
  appliesTo: REPOSITORY,
  check: (repo) => {
    const scanning = firstBlock(repo.config.image_scanning_configuration);
    if (!scanning) return ['has no image_scanning_configuration block, so images are not scanned on push'];
    return isTrue(scanning.scan_on_push) ? [] : ['image_scanning_configuration.scan_on_push is not true'];
  },
};

export const ecrKmsEncryption: PolicyRule = {
  id: 'GAI-ECR-003',
  severity: 'error',
  title: 'ECR repositories are encrypted with a customer-managed KMS key',
  rationale: 'Images embed code, models and sometimes credentials; a customer-managed key puts pulling them under a key policy you control and audit.',
  fix: 'Set encryption_configuration { encryption_type = "KMS", kms_key = <key ARN> } on the aws_ecr_repository (an EncryptionKey\'s keyArn); it can only be set when the repository is created.',
  appliesTo: REPOSITORY,
  check: (repo) => {
    const encryption = firstBlock(repo.config.encryption_configuration);
    const type = encryption?.encryption_type;
    if (typeof type !== 'string' || !type.startsWith('KMS')) {
      return [
        type === undefined
          ? 'encryption_configuration.encryption_type is not set, so images are encrypted with AES256 only'
          : `encryption_configuration.encryption_type is ${show(type)}; expected "KMS"`,
      ];
    }
    return customerManagedKeyProblems(encryption?.kms_key, 'encryption_configuration.kms_key', 'the AWS-managed key aws/ecr');
  },
};

export const ecrLifecyclePolicy: PolicyRule = {
  id: 'GAI-ECR-004',
  severity: 'warning',
  title: 'ECR repositories have a lifecycle policy',
  rationale: 'Without a lifecycle policy every pushed image is kept (and billed) forever, and old vulnerable images stay pullable.',
  fix: 'Add an aws_ecr_lifecycle_policy whose repository is the repository\'s name, expiring untagged images and keeping a bounded number of tagged ones.',
  appliesTo: REPOSITORY,
  check: (repo, ctx) =>
    related(ctx, repo, { type: 'aws_ecr_lifecycle_policy', attribute: 'repository', targetAttribute: 'name' }).length > 0
      ? []
      : ['no aws_ecr_lifecycle_policy refers to this repository, so images are never expired'],
};

export const ecrNoForceDelete: PolicyRule = {
  id: 'GAI-ECR-005',
  severity: 'error',
  title: 'ECR repositories do not set force_delete (outside ephemeral environments)',
  rationale: 'With force_delete, destroying the repository deletes every image in it, including images running workloads still pull.',
  fix: 'Remove force_delete (or set it to false) on the aws_ecr_repository; only ephemeral environments may set it.',
  appliesTo: REPOSITORY,
  check: (repo, ctx) =>
    !ctx.ephemeral && isTrue(repo.config.force_delete) ? ['force_delete is true, so destroying the repository would delete all of its images'] : [],
};

export const ECR_RULES: readonly PolicyRule[] = [ecrImmutableTags, ecrScanOnPush, ecrKmsEncryption, ecrLifecyclePolicy, ecrNoForceDelete];
