import { SynthStack } from './synth-stack';
import type { Finding, PolicyRule } from './types';

/** Minimum length of a suppression's written justification. */
export const MIN_JUSTIFICATION_LENGTH = 20;

/**
 * Evaluates rules over one synthesized stack (the parsed `cdk.tf.json`, or `stack.toTerraform()`).
 * Returns every finding, suppressed ones included (with `suppressedBecause`), in a stable order:
 * by address, then rule id.
 */
export function evaluatePolicies(stackJson: Readonly<Record<string, unknown>>, rules: readonly PolicyRule[]): Finding[] {
  const stack = new SynthStack(stackJson);
  const findings: Finding[] = [];
  for (const resource of stack.resources) {
    const key = resource.mode === 'data' ? `data.${resource.type}` : resource.type;
    for (const rule of rules) {
      if (!rule.appliesTo.includes(key)) continue;
      const messages = rule.check(resource, stack);
      if (messages.length === 0) continue;
      const suppression = resource.suppressions.find((s) => s.ruleId === rule.id);
      for (const message of messages) {
        findings.push({
          ruleId: rule.id,
          severity: rule.severity,
          address: resource.address,
          path: resource.path,
          message,
          fix: rule.fix,
          ...(suppression ? { suppressedBecause: suppression.justification } : {}),
        });
      }
    }
  }
  return findings.sort((a, b) => a.address.localeCompare(b.address) || a.ruleId.localeCompare(b.ruleId));
}

/** Findings that count: not suppressed. */
export function activeFindings(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.suppressedBecause === undefined);
}

/** `[GAI-S3-001] error aws_s3_bucket.x (stack/Path): message — fix: …` */
export function formatFinding(f: Finding): string {
  return `[${f.ruleId}] ${f.severity} ${f.address} (${f.path}): ${f.message} — fix: ${f.fix}`;
}
