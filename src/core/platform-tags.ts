import { AwsProvider, type AwsProviderDefaultTags } from '@cdktf/provider-aws/lib/provider';
import type { IConstruct } from 'constructs';
import { Token, type IAspect } from './tf';

/**
 * Gives every taggable AWS resource the platform tags, by merging them into the `default_tags` of
 * every AWS provider in the stack (the provider then tags each resource that supports tags and
 * keeps `tags_all` in plans). Tags a user set on a provider win over nothing but the platform's own
 * keys: `platform`, `environment`, `owner`, `cost-center` and `managed-by` are always the
 * platform's. Data stores add `data-classification` as a resource tag.
 */
export class PlatformTags implements IAspect {
  constructor(private readonly tags: Readonly<Record<string, string>>) {}

  visit(node: IConstruct): void {
    if (!(node instanceof AwsProvider)) return;
    const current = node.defaultTags;
    if (current !== undefined && Token.isUnresolved(current)) return;
    const existing = ((current as AwsProviderDefaultTags[] | undefined) ?? []).reduce<Record<string, string>>(
      (acc, block) => ({ ...acc, ...((block.tags as Record<string, string> | undefined) ?? {}) }),
      {},
    );
    node.defaultTags = [{ tags: { ...existing, ...this.tags } }];
  }
}
