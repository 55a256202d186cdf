/** The policy pack's vocabulary: rules evaluated over synthesized Terraform JSON. */

export type Severity = 'error' | 'warning';

/** A recorded suppression: which rule, and why it does not apply here. */
export interface Suppression {
  readonly ruleId: string;
  readonly justification: string;
}

/** One resource or data source of a synthesized stack, as the rules see it. */
export interface SynthResource {
  /** `resource` or `data`. */
  readonly mode: 'resource' | 'data';
  /** Terraform type, e.g. `aws_s3_bucket`. */
  readonly type: string;
  /** Terraform local name, e.g. `Artifacts_Bucket_1A2B3C4D`. */
  readonly name: string;
  /** Terraform address: `aws_s3_bucket.Artifacts_Bucket_1A2B3C4D` (`data.` prefix for data sources). */
  readonly address: string;
  /** Construct path from cdktf's metadata, e.g. `foundation/Artifacts/Bucket` (the address when absent). */
  readonly path: string;
  /** The resource's configuration block, as synthesized (references are `${type.name.attr}` strings). */
  readonly config: Readonly<Record<string, unknown>>;
  /** Suppressions recorded on this resource (`"//": { "gaiops": { "suppressions": [...] } }`). */
  readonly suppressions: readonly Suppression[];
}

/** A normalised IAM statement, whatever form it was written in (JSON string or policy-document data source). */
export interface IamStatement {
  readonly sid?: string;
  readonly effect: 'Allow' | 'Deny';
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  readonly resources: readonly string[];
  readonly notResources: readonly string[];
  /** `{ "<principal type>": ["<id>", …] }`; `{ "*": ["*"] }` for `"Principal": "*"`. */
  readonly principals: Readonly<Record<string, readonly string[]>>;
  /** `{ "<test>": { "<variable>": ["<value>", …] } }`. */
  readonly conditions: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}

/** What a rule can ask about the rest of the stack. */
export interface RuleContext {
  /** True when the stack's environment is marked ephemeral (`"//": { "gaiops": { "ephemeral": true } }`). */
  readonly ephemeral: boolean;
  /** Every resource (mode `resource`) of a type. */
  resourcesOfType(type: string): readonly SynthResource[];
  /** Every data source (mode `data`) of a type. */
  dataOfType(type: string): readonly SynthResource[];
  /**
   * Resources of `type` whose `attribute` refers to `target` (a `${<target address>.…}` reference),
   * e.g. the `aws_s3_bucket_versioning` whose `bucket` refers to a bucket.
   */
  referencing(type: string, attribute: string, target: SynthResource): readonly SynthResource[];
  /** The resource or data source a `${type.name.attr}` reference (or a string containing one) points at. */
  resolveReference(value: unknown): SynthResource | undefined;
  /**
   * Parses a policy-valued attribute (JSON string, or a reference to a `data.aws_iam_policy_document`)
   * into statements; `undefined` when it cannot be read at synth (say, a `jsonencode` of unknowns).
   */
  policyStatements(value: unknown): readonly IamStatement[] | undefined;
}

/** A rule of the policy pack. */
export interface PolicyRule {
  /** Stable id, `GAI-<AREA>-<NNN>`, e.g. `GAI-S3-001`. */
  readonly id: string;
  readonly severity: Severity;
  /** One line: what must hold. */
  readonly title: string;
  /** Why it matters. */
  readonly rationale: string;
  /** How to comply (gaiops construct prop or Terraform attribute). */
  readonly fix: string;
  /** Terraform types checked (`aws_s3_bucket`; data sources as `data.aws_iam_policy_document`). */
  readonly appliesTo: readonly string[];
  /** Messages describing each violation on this resource; empty when compliant. */
  check(resource: SynthResource, ctx: RuleContext): readonly string[];
}

/** One violation found by the policy pack. */
export interface Finding {
  readonly ruleId: string;
  readonly severity: Severity;
  readonly address: string;
  readonly path: string;
  readonly message: string;
  readonly fix: string;
  /** Set when the violation is suppressed: the recorded justification. */
  readonly suppressedBecause?: string;
}
