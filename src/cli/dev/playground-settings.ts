/**
 * The fixed settings of `gaiops dev` (kept apart from `playground.ts`, so `gaiops dev --help` does
 * not load the runtimes).
 */
import { DEV_DEFAULT_PRINCIPAL } from '../../model-registry/runtime/identity';

/** Default port of `gaiops dev` (not LocalStack's 4566, so both can run side by side). */
export const DEV_DEFAULT_PORT = 4700;
/** The public model id the dev gateway serves (`model` in requests). */
export const DEV_GATEWAY_MODEL = 'gaiops-dev';
/** The fake model's ids behind the two gateway variants (they show in `model` of answers). */
export const DEV_VARIANTS = [
  { name: 'champion', upstreamModel: 'fake-champion', weight: 90 },
  { name: 'challenger', upstreamModel: 'fake-challenger', weight: 10 },
] as const;
/** Sessions of this role may approve model versions in the dev registry. */
export const DEV_APPROVER_ROLE_ARN = 'arn:aws:iam::000000000000:role/gaiops-dev-approver';
/** A principal that may approve (any session name other than the creator's works). */
export const DEV_APPROVER_PRINCIPAL = 'arn:aws:sts::000000000000:assumed-role/gaiops-dev-approver/reviewer';
/** The caller when a request carries no `x-gaiops-principal` header. */
export const DEV_PRINCIPAL = DEV_DEFAULT_PRINCIPAL;
/** Bucket of content-addressed model artifacts (`artifacts/sha256/<hex>`). */
export const DEV_ARTIFACT_BUCKET = 'gaiops-dev-registry-artifacts';
