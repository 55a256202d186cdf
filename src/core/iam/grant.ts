import type { PolicyStatement } from './policy-statement';

/** Something that can be given permissions: a role, a function, a service account's role. */
export interface IGrantable {
  readonly grantPrincipal: IPrincipal;
}

/** The identity permissions are added to. */
export interface IPrincipal {
  /** The role's ARN (a token). */
  readonly roleArn: string;
  /** The role's name (a token). */
  readonly roleName: string;
  /** Adds a statement to this principal's own policy. */
  addToPrincipalPolicy(statement: PolicyStatement): void;
}

/** What a `grant…` call added — returned so callers and tests can see exactly what was granted. */
export class Grant {
  static addTo(grantee: IGrantable, statements: readonly PolicyStatement[]): Grant {
    for (const s of statements) grantee.grantPrincipal.addToPrincipalPolicy(s);
    return new Grant(grantee.grantPrincipal, statements);
  }

  private constructor(
    readonly principal: IPrincipal,
    readonly statements: readonly PolicyStatement[],
  ) {}

  /** Every action granted, sorted. */
  get actions(): string[] {
    return [...new Set(this.statements.flatMap((s) => s.actions))].sort();
  }
}
