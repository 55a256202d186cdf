/**
 * The feature groups of the reference e-commerce domain — customers (with PII and sensitive
 * attributes) and their purchases — used by the reference deployment (`stacks/main.ts`) and served
 * by `gaiops dev`.
 */
import type { FeatureGroupInput } from './feature-group';

export const ECOMMERCE_FEATURE_GROUPS: readonly FeatureGroupInput[] = [
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
  {
    name: 'purchases',
    entityKeys: [{ name: 'customer_id', type: 'string' }],
    eventTimeColumn: 'purchased_at',
    features: [
      { name: 'product_id', type: 'string', nullable: false },
      { name: 'amount', type: 'float', min: 0, nullable: false },
      { name: 'currency', type: 'string', allowedValues: ['EUR', 'USD', 'GBP'] },
      { name: 'returned', type: 'bool' },
    ],
    onlineTtlSeconds: 24 * 3600,
  },
];
