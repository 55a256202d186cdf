/**
 * Governance gates guarding protected aliases (default `production`) and the stage `Production`.
 *
 * A promotion is allowed only when every enabled condition holds; otherwise it is refused with
 * 400 INVALID_PARAMETER_VALUE whose message names each unmet condition (and
 * `details.unmet_conditions`). Conditions:
 * - `evaluation_metrics`: every required metric is recorded and within [min, max];
 * - `fairness`: for every reported sensitive attribute |DPD| ≤ max, DI ≥ min, |EOD| ≤ max;
 * - `model_card`: a model card is attached;
 * - `artifact_digest`: the lineage's artifact digest equals the SHA-256 of the stored object;
 * - `approval`: the latest review is an approval, for the current lineage revision, by a
 *   principal who holds an approver role and is not the version's creator (four-eyes).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { mergeGates, type GovernanceGates, type RegistryConfig } from '../registry-config';
import { artifactLocation, verifyArtifactDigest } from './artifacts';
import { invalidParameter, type RegistryError } from './errors';
import { isApprover, isSamePerson } from './identity';
import type { LineageFields } from './lineage';

export type GateConditionName = 'evaluation_metrics' | 'fairness' | 'model_card' | 'artifact_digest' | 'approval';

export interface UnmetCondition {
  readonly condition: GateConditionName;
  readonly message: string;
}

export interface GateEvaluation {
  /** Conditions that were checked (enabled by the gates). */
  readonly checked: readonly GateConditionName[];
  readonly unmet: readonly UnmetCondition[];
}

export interface Review {
  readonly decision: 'approved' | 'rejected';
  readonly principal: string;
  readonly comment?: string;
  readonly timestamp: number;
  /** The lineage revision the reviewer saw (0 = no lineage). */
  readonly lineageRevision: number;
}

export interface GateSubject {
  readonly modelName: string;
  readonly version: number;
  readonly source: string;
  readonly createdBy: string;
  readonly review?: Review;
  readonly lineage?: Partial<LineageFields>;
  readonly lineageRevision: number;
}

/** The gates for `modelName`: the defaults with the model's override applied (see `mergeGates`). */
export function effectiveGates(config: RegistryConfig, modelName: string): GovernanceGates {
  return mergeGates(config.defaultGates, config.modelGates[modelName]);
}

/** Protected aliases are matched case-insensitively. */
export function isProtectedAlias(gates: GovernanceGates, alias: string): boolean {
  return gates.protectedAliases.some((a) => a.toLowerCase() === alias.toLowerCase());
}

export interface GateContext {
  readonly s3: S3Client;
  readonly artifactBucket: string;
  readonly config: RegistryConfig;
}

export async function evaluateGates(gates: GovernanceGates, subject: GateSubject, context: GateContext): Promise<GateEvaluation> {
  const checked: GateConditionName[] = [];
  const unmet: UnmetCondition[] = [];
  const lineage = subject.lineage ?? {};
  const fail = (condition: GateConditionName, message: string) => unmet.push({ condition, message });

  if (gates.requiredMetrics.length > 0) {
    checked.push('evaluation_metrics');
    const metrics = lineage.evaluation_metrics ?? {};
    for (const gate of gates.requiredMetrics) {
      const value = metrics[gate.metric];
      if (value === undefined) fail('evaluation_metrics', `required evaluation metric '${gate.metric}' is not recorded in the lineage`);
      else if (gate.min !== undefined && value < gate.min) fail('evaluation_metrics', `evaluation metric '${gate.metric}' = ${value} is below the minimum ${gate.min}`);
      else if (gate.max !== undefined && value > gate.max) fail('evaluation_metrics', `evaluation metric '${gate.metric}' = ${value} is above the maximum ${gate.max}`);
    }
  }

  checked.push('fairness');
  const f = gates.fairness;
  for (const [attribute, m] of Object.entries(lineage.fairness_metrics ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (Math.abs(m.demographic_parity_difference) > f.maxDemographicParityDifference) {
      fail('fairness', `fairness for '${attribute}': |demographic parity difference| ${Math.abs(m.demographic_parity_difference)} exceeds ${f.maxDemographicParityDifference}`);
    }
    if (m.disparate_impact_ratio < f.minDisparateImpactRatio) {
      fail('fairness', `fairness for '${attribute}': disparate impact ratio ${m.disparate_impact_ratio} is below ${f.minDisparateImpactRatio}`);
    }
    if (Math.abs(m.equalized_odds_difference) > f.maxEqualizedOddsDifference) {
      fail('fairness', `fairness for '${attribute}': equalized odds difference ${Math.abs(m.equalized_odds_difference)} exceeds ${f.maxEqualizedOddsDifference}`);
    }
  }

  if (gates.requireModelCard) {
    checked.push('model_card');
    if (!lineage.model_card) fail('model_card', 'no model card is attached to the version lineage');
  }

  if (gates.requireArtifactDigest) {
    checked.push('artifact_digest');
    if (!lineage.artifact_digest) {
      fail('artifact_digest', 'the lineage records no artifact_digest');
    } else {
      const check = await verifyArtifactDigest(context.s3, artifactLocation(subject.source, context.artifactBucket), lineage.artifact_digest);
      if (!check.ok) fail('artifact_digest', `artifact digest check failed: ${check.problem}`);
    }
  }

  if (gates.requireApproval) {
    checked.push('approval');
    const review = subject.review;
    if (!review) fail('approval', 'no approval has been recorded (an approver other than the creator must approve)');
    else if (review.decision === 'rejected') fail('approval', `the latest review is a rejection by ${review.principal}; a new approval is required`);
    else if (review.lineageRevision !== subject.lineageRevision) {
      fail('approval', `the approval by ${review.principal} was given for lineage revision ${review.lineageRevision}, but the lineage has since changed (revision ${subject.lineageRevision}); a new approval is required`);
    } else if (isSamePerson(review.principal, subject.createdBy)) {
      fail('approval', 'the only approval is by the version creator (four-eyes principle)');
    } else if (!isApprover(review.principal, context.config.approverRoleArns)) {
      fail('approval', `the approver ${review.principal} no longer holds an approver role`);
    }
  }

  return { checked, unmet };
}

/** The refusal for a failed evaluation: names every unmet condition. */
export function gateRefusal(target: string, subject: Pick<GateSubject, 'modelName' | 'version'>, unmet: readonly UnmetCondition[]): RegistryError {
  const list = unmet.map((u, i) => `(${i + 1}) ${u.condition}: ${u.message}`).join('; ');
  return invalidParameter(
    `Cannot promote model '${subject.modelName}' version ${subject.version} to ${target}: ${unmet.length} governance condition${unmet.length === 1 ? ' is' : 's are'} not met: ${list}.`,
    { unmet_conditions: unmet },
  );
}
