import { parsePolicyDocumentData, parsePolicyJson } from './iam-document';
import type { IamStatement, RuleContext, Suppression, SynthResource } from './types';

/** A synthesized stack (`cdk.tf.json`) indexed for rules: the {@link RuleContext} implementation. */
export class SynthStack implements RuleContext {
  readonly resources: readonly SynthResource[];
  readonly ephemeral: boolean;
  private readonly byAddress = new Map<string, SynthResource>();
  private readonly byType = new Map<string, SynthResource[]>();

  constructor(json: Readonly<Record<string, unknown>>) {
    const meta = ((json['//'] ?? {}) as Record<string, unknown>).gaiops as { ephemeral?: unknown } | undefined;
    this.ephemeral = meta?.ephemeral === true;
    const all: SynthResource[] = [];
    for (const mode of ['resource', 'data'] as const) {
      const section = (json[mode] ?? {}) as Record<string, Record<string, Record<string, unknown>>>;
      for (const [type, byName] of Object.entries(section)) {
        for (const [name, config] of Object.entries(byName ?? {})) {
          const address = mode === 'data' ? `data.${type}.${name}` : `${type}.${name}`;
          const comment = (config['//'] ?? {}) as { metadata?: { path?: string }; gaiops?: { suppressions?: Suppression[] } };
          const resource: SynthResource = {
            mode,
            type,
            name,
            address,
            path: comment.metadata?.path ?? address,
            config,
            suppressions: comment.gaiops?.suppressions ?? [],
          };
          all.push(resource);
          this.byAddress.set(address, resource);
          const key = mode === 'data' ? `data.${type}` : type;
          this.byType.set(key, [...(this.byType.get(key) ?? []), resource]);
        }
      }
    }
    this.resources = all;
  }

  resourcesOfType(type: string): readonly SynthResource[] {
    return this.byType.get(type) ?? [];
  }

  dataOfType(type: string): readonly SynthResource[] {
    return this.byType.get(`data.${type}`) ?? [];
  }

  referencing(type: string, attribute: string, target: SynthResource): readonly SynthResource[] {
    const needle = `\${${target.address}.`;
    return this.resourcesOfType(type).filter((r) => {
      const v = r.config[attribute];
      return typeof v === 'string' && v.includes(needle);
    });
  }

  resolveReference(value: unknown): SynthResource | undefined {
    if (typeof value !== 'string') return undefined;
    const m = /\$\{((?:data\.)?[a-z0-9_]+\.[A-Za-z0-9_-]+)\.[A-Za-z0-9_.[\]"*-]+\}/.exec(value);
    return m ? this.byAddress.get(m[1]) : undefined;
  }

  policyStatements(value: unknown): readonly IamStatement[] | undefined {
    if (typeof value !== 'string') return undefined;
    const trimmed = value.trim();
    const ref = /^\$\{(data\.aws_iam_policy_document\.[A-Za-z0-9_-]+)\.(json|minified_json)\}$/.exec(trimmed);
    if (ref) {
      const data = this.byAddress.get(ref[1]);
      return data ? parsePolicyDocumentData(data.config) : undefined;
    }
    return parsePolicyJson(trimmed);
  }
}
