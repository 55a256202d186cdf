/**
 * The feature group `gaiops dev` serves: the reference deployment's `customers` group
 * (`stacks/main.ts`), PII columns included, so push shows validation and PII handling as deployed:
 * `email` is HMAC-hashed with a key generated per run, `phone` masked to its last 4 characters.
 */
import type { FeatureStoreConfigInput } from '../../feature-store/runtime/deps';

export const DEMO_FEATURE_STORE_CONFIG: FeatureStoreConfigInput = {
  version: 1,
  groups: [
    {
      name: 'customers',
      entityKeys: [{ name: 'customer_id', type: 'string' }],
      eventTimeColumn: 'updated_at',
      features: [
        { name: 'email', type: 'string', pii: 'hash', maxLength: 254 },
        { name: 'phone', type: 'string', pii: 'mask', regex: '^\\+?[0-9 ()-]{6,20}$' },
        { name: 'gender', type: 'string', allowedValues: ['female', 'male', 'nonbinary', 'undisclosed'] },
        { name: 'age_band', type: 'string', allowedValues: ['18-24', '25-34', '35-44', '45-54', '55-64', '65+'] },
        { name: 'lifetime_value', type: 'float', min: 0 },
        { name: 'orders_90d', type: 'int', min: 0, nullable: false },
      ],
      sensitiveAttributes: ['gender', 'age_band'],
      onlineTtlSeconds: 7 * 24 * 3600,
    },
  ],
};
