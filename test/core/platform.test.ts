import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { App, GaiConfigError, GaiError, PlatformContext, PlatformStack, SecureTable } from '../../src';
import { TerraformStack, Testing } from '../../src/core/tf';
import { SETTINGS, platformStack, synth } from '../support/synth';

describe('PlatformStack and PlatformContext', () => {
  it('configures the AWS provider with the platform tags as default_tags', () => {
    const json = synth(platformStack({ tags: { project: 'genai' } }));
    const [aws] = json.provider!.aws;
    expect(aws.region).toBe('eu-west-1');
    expect(aws.default_tags).toEqual([
      {
        tags: {
          project: 'genai',
          platform: 'gai',
          environment: 'test',
          owner: 'ml-platform-team',
          'cost-center': 'cc-1234',
          'managed-by': 'gaiops',
        },
      },
    ]);
  });

  it('records the environment in the synthesized JSON for the policy pack and gaiops validate', () => {
    const json = synth(platformStack({ ephemeral: true }));
    expect(json['//']!.gaiops).toEqual({ platform: 'gai', environment: 'test', ephemeral: true });
  });

  it('merges platform tags into a provider the user configured, platform keys winning', () => {
    const app = new App({ outdir: '/tmp/gaiops-unused' });
    const stack = new PlatformStack(app, 's', { settings: SETTINGS, awsProvider: false });
    new AwsProvider(stack, 'aws', { region: 'us-east-1', defaultTags: [{ tags: { team: 'a', owner: 'someone-else' } }] });
    new S3Bucket(stack, 'B', { bucket: 'b' });
    const json = JSON.parse(JSON.stringify(synthNoPolicy(stack)));
    expect(json.provider.aws[0].default_tags[0].tags).toMatchObject({ team: 'a', owner: 'ml-platform-team', platform: 'gai' });
  });

  it('validates settings, listing every problem', () => {
    const app = new App({ outdir: '/tmp/gaiops-unused' });
    let error: GaiConfigError | undefined;
    try {
      new PlatformStack(app, 'bad', {
        settings: { prefix: 'GAI', environment: '', region: 'mars-1', owner: '', costCenter: 'x', logRetentionDays: 42 },
      });
    } catch (e) {
      error = e as GaiConfigError;
    }
    expect(error).toBeInstanceOf(GaiConfigError);
    expect(error!.problems.map((p) => p.fieldPath).sort()).toEqual(
      ['settings.environment', 'settings.logRetentionDays', 'settings.owner', 'settings.prefix', 'settings.region'].sort(),
    );
    expect(error!.message).toContain('bad: settings.region: must be an AWS region');
  });

  it('gives constructs in a stack without settings a clear error', () => {
    const app = new App({ outdir: '/tmp/gaiops-unused' });
    const stack = new TerraformStack(app, 'plain');
    expect(() => new SecureTable(stack, 'T', { partitionKey: { name: 'pk' } })).toThrow(GaiError);
    expect(() => PlatformContext.of(new Construct(stack, 'X'))).toThrow(/gaiops:platform:no-context.*PlatformStack/);
  });

  it('allows attaching settings to any TerraformStack once', () => {
    const app = new App({ outdir: '/tmp/gaiops-unused' });
    const stack = new TerraformStack(app, 'plain');
    const ctx = PlatformContext.attach(stack, SETTINGS);
    expect(PlatformContext.of(new Construct(stack, 'X'))).toBe(ctx);
    expect(() => PlatformContext.attach(stack, SETTINGS)).toThrow(/context-exists/);
  });

  it('names resources from the construct path below the stack', () => {
    const stack = platformStack();
    const scope = new Construct(new Construct(stack, 'FeatureStore'), 'Online');
    expect(stack.context.physicalName('dynamodb', scope)).toBe('gai-test-feature-store-online');
    expect(stack.context.globalName('s3', scope)).toMatch(/^gai-test-feature-store-online-\$\{TfToken\[TOKEN\.\d+\]\}$/);
  });
});

/** Aspects (tags) without validations: the bare S3Bucket above is deliberately non-compliant. */
function synthNoPolicy(stack: TerraformStack): unknown {
  Testing.synth(stack, false);
  return stack.toTerraform();
}
