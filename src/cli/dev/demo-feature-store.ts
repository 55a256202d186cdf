/**
 * The feature group `gaiops dev` serves: the reference deployment's `customers` group
 * (`src/feature-store/ecommerce-groups.ts`, also used by `stacks/main.ts`), PII columns included, so push shows validation and PII handling as deployed:
 * `email` is HMAC-hashed with a key generated per run, `phone` masked to its last 4 characters.
 */
import { ECOMMERCE_FEATURE_GROUPS } from '../../feature-store/ecommerce-groups';
import type { FeatureStoreConfigInput } from '../../feature-store/runtime/deps';

export const DEMO_FEATURE_STORE_CONFIG: FeatureStoreConfigInput = {
  version: 1,
  groups: ECOMMERCE_FEATURE_GROUPS.filter((group) => group.name === 'customers'),
};
