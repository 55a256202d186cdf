import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { Construct, type IConstruct } from 'constructs';
import { GaiError } from './errors';
import { physicalName, type NamedService, type NameParts } from './naming';
import { PlatformSettingsSchema, platformTags, type PlatformSettings, type PlatformSettingsInput } from './platform-settings';
import { parseProps } from './props';
import { PlatformTags } from './platform-tags';
import { Aspects, TerraformStack } from './tf';

/** `-` plus a 12-digit account id. */
const ACCOUNT_SUFFIX_LENGTH = 13;

export interface AttachOptions {
  /**
   * Create the stack's AWS provider (region from the settings, platform tags as `default_tags`).
   * Set `false` when the stack configures its own provider; the platform tags are still merged
   * into every AWS provider of the stack.
   * @default true
   */
  readonly awsProvider?: boolean;
}

/**
 * Platform settings bound to one stack, plus what every construct needs from them: physical names,
 * tags, the account and partition. It lives in the construct tree (a child of the stack with id
 * `GaiPlatformContext`), never in a global, so apps and tests cannot leak into each other.
 */
export class PlatformContext extends Construct {
  static readonly ID = 'GaiPlatformContext';

  /** Binds settings to a stack: validates them, configures the AWS provider and the tag aspect. */
  static attach(stack: TerraformStack, settings: PlatformSettingsInput, options: AttachOptions = {}): PlatformContext {
    if (stack.node.tryFindChild(PlatformContext.ID)) {
      throw new GaiError('gaiops:platform:context-exists', `${stack.node.path} already has platform settings`);
    }
    return new PlatformContext(stack, parseProps(stack, PlatformSettingsSchema, settings), options);
  }

  /** The context of the stack that contains `scope`. */
  static of(scope: IConstruct): PlatformContext {
    const stack = TerraformStack.of(scope);
    const found = stack.node.tryFindChild(PlatformContext.ID);
    if (!(found instanceof PlatformContext)) {
      throw new GaiError(
        'gaiops:platform:no-context',
        `${scope.node.path} is in stack ${stack.node.id}, which has no platform settings: create it as a PlatformStack or call PlatformContext.attach(stack, settings)`,
      );
    }
    return found;
  }

  readonly settings: PlatformSettings;
  readonly stack: TerraformStack;
  readonly provider?: AwsProvider;
  private callerIdentity?: DataAwsCallerIdentity;
  private partitionData?: DataAwsPartition;

  private constructor(stack: TerraformStack, settings: PlatformSettings, options: AttachOptions) {
    super(stack, PlatformContext.ID);
    this.stack = stack;
    this.settings = settings;
    if (options.awsProvider !== false) {
      this.provider = new AwsProvider(stack, 'aws', { region: settings.region });
    }
    Aspects.of(stack).add(new PlatformTags(platformTags(settings)));
    // Recorded in the synthesized JSON (Terraform ignores "//" keys) so that tools reading
    // cdktf.out — `gaiops validate`, the policy pack — know the environment.
    stack.addOverride('//.gaiops', {
      platform: settings.prefix,
      environment: settings.environment,
      ephemeral: settings.ephemeral,
    });
  }

  /** True when stateful resources may be destroyed (no `prevent_destroy`, no deletion protection). */
  get ephemeral(): boolean {
    return this.settings.ephemeral;
  }

  get region(): string {
    return this.settings.region;
  }

  /** The account id of the provider's credentials (a token). */
  get accountId(): string {
    this.callerIdentity ??= new DataAwsCallerIdentity(this, 'CallerIdentity', {});
    return this.callerIdentity.accountId;
  }

  /** The partition (`aws`, `aws-cn`, `aws-us-gov`; a token). */
  get partition(): string {
    this.partitionData ??= new DataAwsPartition(this, 'Partition', {});
    return this.partitionData.partition;
  }

  /** The account root principal ARN (a token). */
  get accountRootArn(): string {
    return `arn:${this.partition}:iam::${this.accountId}:root`;
  }

  /** `arn:<partition>:<service>:<region>:<account>:<resource>` for this stack's account and region. */
  arn(service: string, resource: string, opts: { region?: string; account?: string } = {}): string {
    const region = opts.region ?? this.region;
    const account = opts.account ?? this.accountId;
    return `arn:${this.partition}:${service}:${region}:${account}:${resource}`;
  }

  /**
   * The physical name of `scope` for a service: `<prefix>-<environment>-<construct path below the
   * stack>[-<suffix…>]`, within the service's limits (see `physicalName`).
   */
  physicalName(service: NamedService, scope: IConstruct, ...suffix: string[]): string {
    return physicalName(service, this.nameParts(scope, suffix));
  }

  /**
   * A name for services whose names are global across all AWS accounts (S3): the physical name,
   * shortened to leave room, then `-<account id>`.
   */
  globalName(service: 's3', scope: IConstruct, ...suffix: string[]): string {
    const base = physicalName(service, this.nameParts(scope, suffix), { reserve: ACCOUNT_SUFFIX_LENGTH });
    return `${base}-${this.accountId}`;
  }

  private nameParts(scope: IConstruct, suffix: readonly string[]): NameParts {
    const scopes = scope.node.scopes;
    const below = scopes.slice(scopes.indexOf(this.stack) + 1).map((s) => s.node.id);
    return { prefix: this.settings.prefix, environment: this.settings.environment, parts: [...below, ...suffix] };
  }

  /** The platform tags (also applied as provider `default_tags`). */
  get tags(): Record<string, string> {
    return platformTags(this.settings);
  }
}
