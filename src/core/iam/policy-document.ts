import { Lazy } from '../tf';
import { mergeStatements, renderPolicy, type PolicyStatement } from './policy-statement';

/**
 * A policy that grows while the construct tree is built and is rendered once, at synth. Identity
 * policies (role grants) and resource policies (bucket, queue) both use it.
 */
export class PolicyDocument {
  private readonly list: PolicyStatement[] = [];

  constructor(private readonly kind: 'identity' | 'resource') {}

  add(statement: PolicyStatement): void {
    if (statement.actions.length === 0) throw new Error('gaiops: a policy statement needs at least one action');
    if (statement.resources.length === 0) throw new Error('gaiops: a policy statement needs at least one resource');
    if (this.kind === 'resource' && !statement.principals) {
      throw new Error('gaiops: a resource policy statement needs principals');
    }
    if (this.kind === 'identity' && statement.principals) {
      throw new Error('gaiops: an identity policy statement cannot name principals');
    }
    this.list.push(statement);
  }

  /** The statements so far, merged and de-duplicated. */
  get statements(): readonly PolicyStatement[] {
    return mergeStatements(this.list);
  }

  /** The policy JSON, produced at synth from every statement added by then. */
  toJsonLazy(): string {
    return Lazy.stringValue({ produce: () => renderPolicy(this.statements) });
  }
}
