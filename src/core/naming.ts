import { createHash } from 'node:crypto';

/**
 * Physical-name rules per AWS service: maximum length, allowed characters, case.
 * Sources: each service's API reference (CreateBucket, CreateRole, CreateFunction, CreateQueue,
 * CreateTable, CreateCluster, CreateLogGroup, CreateRepository, CreateAlias, CreateTopic,
 * PutRule, CreatePolicy, CreateSecret).
 */
export const NAME_RULES = {
  s3: { maxLength: 63, minLength: 3, lowercase: true, invalid: /[^a-z0-9-]/g, separator: '-' },
  'iam-role': { maxLength: 64, minLength: 1, lowercase: false, invalid: /[^A-Za-z0-9+=,.@_-]/g, separator: '-' },
  'iam-policy': { maxLength: 128, minLength: 1, lowercase: false, invalid: /[^A-Za-z0-9+=,.@_-]/g, separator: '-' },
  lambda: { maxLength: 64, minLength: 1, lowercase: false, invalid: /[^A-Za-z0-9_-]/g, separator: '-' },
  sqs: { maxLength: 80, minLength: 1, lowercase: false, invalid: /[^A-Za-z0-9_-]/g, separator: '-' },
  dynamodb: { maxLength: 255, minLength: 3, lowercase: false, invalid: /[^A-Za-z0-9_.-]/g, separator: '-' },
  eks: { maxLength: 100, minLength: 1, lowercase: false, invalid: /[^A-Za-z0-9_-]/g, separator: '-' },
  'log-group': { maxLength: 512, minLength: 1, lowercase: false, invalid: /[^A-Za-z0-9._/#-]/g, separator: '-' },
  ecr: { maxLength: 256, minLength: 2, lowercase: true, invalid: /[^a-z0-9._/-]/g, separator: '-' },
  'kms-alias': { maxLength: 250, minLength: 1, lowercase: false, invalid: /[^A-Za-z0-9/_-]/g, separator: '-' },
  sns: { maxLength: 256, minLength: 1, lowercase: false, invalid: /[^A-Za-z0-9_-]/g, separator: '-' },
  'eventbridge-rule': { maxLength: 64, minLength: 1, lowercase: false, invalid: /[^A-Za-z0-9._-]/g, separator: '-' },
  secret: { maxLength: 512, minLength: 1, lowercase: false, invalid: /[^A-Za-z0-9/_+=.@-]/g, separator: '-' },
  'athena-workgroup': { maxLength: 128, minLength: 1, lowercase: false, invalid: /[^A-Za-z0-9._-]/g, separator: '-' },
  'cloudwatch-alarm': { maxLength: 255, minLength: 1, lowercase: false, invalid: /[^A-Za-z0-9._-]/g, separator: '-' },
  budget: { maxLength: 100, minLength: 1, lowercase: false, invalid: /[^A-Za-z0-9._-]/g, separator: '-' },
  'glue-database': { maxLength: 255, minLength: 1, lowercase: true, invalid: /[^a-z0-9_]/g, separator: '_' },
} as const;

export type NamedService = keyof typeof NAME_RULES;

/** Length of the hash suffix appended when a name must be shortened. */
export const NAME_HASH_LENGTH = 8;

export interface NameParts {
  /** Platform prefix, e.g. `gai`. */
  readonly prefix: string;
  /** Environment name, e.g. `dev`. */
  readonly environment: string;
  /** The construct-derived parts, outermost first, e.g. `['ModelRegistry', 'Artifacts']`. */
  readonly parts: readonly string[];
}

/**
 * A deterministic physical name: `<prefix>-<environment>-<parts…>`, normalised to the service's
 * character set and case, and — when longer than the service allows — cut and given a stable
 * 8-hex-character hash suffix computed from the full, uncut name (so two long names that share a
 * beginning still differ).
 */
export function physicalName(
  service: NamedService,
  { prefix, environment, parts }: NameParts,
  options: { reserve?: number } = {},
): string {
  const rule = NAME_RULES[service];
  const words = [prefix, environment, ...parts].map((p) => normaliseWord(p, rule)).filter((w) => w.length > 0);
  const full = words.join(rule.separator);
  return fitName(full, rule.maxLength - (options.reserve ?? 0), rule.separator);
}

/**
 * Fits an already-joined name into `maxLength`, cutting it and appending a hash of the full name
 * when it is too long.
 */
export function fitName(full: string, maxLength: number, separator = '-'): string {
  if (full.length <= maxLength) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, NAME_HASH_LENGTH);
  const keep = maxLength - NAME_HASH_LENGTH - separator.length;
  const head = full.slice(0, keep).replace(/[^A-Za-z0-9]+$/, '');
  return `${head}${separator}${hash}`;
}

function normaliseWord(word: string, rule: (typeof NAME_RULES)[NamedService]): string {
  // CamelCase construct ids become kebab words: `ModelRegistry` → `model-registry`.
  const kebab = word
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
  const sep = rule.separator;
  return kebab
    .replace(/[-_\s]+/g, sep)
    .replace(rule.invalid, sep)
    .replace(new RegExp(`\\${sep}{2,}`, 'g'), sep)
    .replace(new RegExp(`^\\${sep}+|\\${sep}+$`, 'g'), '');
}
