import type { IConstruct } from 'constructs';
import { GaiError } from '../errors';
import { Annotations, TerraformElement, TerraformResource, TerraformStack, type IAspect } from '../tf';
import { evaluatePolicies, formatFinding, MIN_JUSTIFICATION_LENGTH } from './engine';
import type { Finding, PolicyRule, Suppression } from './types';

const RULE_ID = /^GAI-[A-Z0-9]+-\d{3}$/;
const suppressionsByResource = new WeakMap<TerraformElement, Suppression[]>();

/**
 * The policy pack as a cdktf Aspect. Added to a stack, it evaluates the rules over the stack's
 * synthesized Terraform JSON when the stack is validated (every `app.synth()`, and
 * `Testing.synth(stack, true)`): unsuppressed errors fail synth with one line per finding naming
 * the rule id, resource address and construct path; warnings become construct annotations.
 */
export class PolicyPack implements IAspect {
  /**
   * Suppresses a rule for every resource at or below `scope`. The rule id and a written
   * justification (at least 20 characters) are required; both are recorded in the synthesized
   * JSON (`"//": { "gaiops": { "suppressions": [...] } }` on each resource) for auditors.
   */
  static suppress(scope: IConstruct, ruleId: string, justification: string): void {
    if (!RULE_ID.test(ruleId)) {
      throw new GaiError('gaiops:policy:bad-rule-id', `${scope.node.path}: suppression names ${ruleId}, which is not a rule id (GAI-<AREA>-<NNN>)`);
    }
    if (justification.trim().length < MIN_JUSTIFICATION_LENGTH) {
      throw new GaiError(
        'gaiops:policy:justification-required',
        `${scope.node.path}: suppressing ${ruleId} needs a written justification of at least ${MIN_JUSTIFICATION_LENGTH} characters`,
      );
    }
    const resources = scope.node.findAll().filter((c): c is TerraformResource => c instanceof TerraformResource);
    if (resources.length === 0) {
      throw new GaiError('gaiops:policy:nothing-to-suppress', `${scope.node.path}: no Terraform resource at or below this construct`);
    }
    for (const resource of resources) {
      const list = suppressionsByResource.get(resource) ?? [];
      if (!list.some((s) => s.ruleId === ruleId)) list.push({ ruleId, justification: justification.trim() });
      suppressionsByResource.set(resource, list);
      resource.addOverride('//.gaiops.suppressions', [...list]);
    }
  }

  private readonly validated = new WeakSet<TerraformStack>();

  constructor(readonly rules: readonly PolicyRule[]) {
    const ids = rules.map((r) => r.id);
    const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
    if (duplicate) throw new GaiError('gaiops:policy:duplicate-rule', `rule id ${duplicate} is used twice`);
  }

  visit(node: IConstruct): void {
    if (!(node instanceof TerraformStack) || this.validated.has(node)) return;
    this.validated.add(node);
    node.node.addValidation({ validate: () => this.validate(node) });
  }

  /** Evaluates the stack now; returns every finding (suppressed ones included). */
  evaluate(stack: TerraformStack): Finding[] {
    return evaluatePolicies(stack.toTerraform() as Record<string, unknown>, this.rules);
  }

  private validate(stack: TerraformStack): string[] {
    const known = new Set(this.rules.map((r) => r.id));
    const errors: string[] = [];
    for (const resource of stack.node.findAll()) {
      if (!(resource instanceof TerraformElement)) continue;
      for (const s of suppressionsByResource.get(resource) ?? []) {
        if (!known.has(s.ruleId)) errors.push(`${resource.node.path}: suppression of unknown rule ${s.ruleId}`);
      }
    }
    for (const finding of this.evaluate(stack)) {
      if (finding.suppressedBecause !== undefined) continue;
      if (finding.severity === 'error') errors.push(formatFinding(finding));
      else Annotations.of(constructAt(stack, finding.path)).addWarning(formatFinding(finding));
    }
    return errors;
  }
}

function constructAt(stack: TerraformStack, path: string): IConstruct {
  const parts = path.split('/');
  let node: IConstruct = stack;
  for (const id of parts.slice(1)) {
    const child = node.node.tryFindChild(id);
    if (!child) break;
    node = child;
  }
  return node;
}
