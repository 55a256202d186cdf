import type { Construct } from 'constructs';
import { z } from 'zod';
import { PlatformContext } from './platform-context';
import { PlatformSettingsSchema } from './platform-settings';
import { PolicyPack } from './policy/policy-pack';
import { CORE_RULES } from './policy/rules';
import type { PolicyRule } from './policy/types';
import { parseProps } from './props';
import { Aspects, TerraformStack } from './tf';

export const PlatformStackPropsSchema = z.strictObject({
  settings: PlatformSettingsSchema.describe('Platform settings (see PlatformSettingsSchema).'),
  awsProvider: z.boolean().default(true).describe('Create the stack\'s AWS provider. Default `true`.'),
  policyRules: z
    .array(z.custom<PolicyRule>((v) => typeof v === 'object' && v !== null && 'id' in v && 'check' in v, 'must be a PolicyRule'))
    .optional()
    .describe('Rules of the policy pack run at synth. Default `CORE_RULES` (every gaiops rule). Suppress single findings with `PolicyPack.suppress`.'),
});
export type PlatformStackProps = z.input<typeof PlatformStackPropsSchema>;

/**
 * A cdktf stack bound to platform settings: AWS provider with the platform tags, the tagging
 * aspect, the policy pack (errors fail synth) and the environment recorded in the output.
 */
export class PlatformStack extends TerraformStack {
  readonly context: PlatformContext;
  readonly policyPack: PolicyPack;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id);
    const p = parseProps(this, PlatformStackPropsSchema, props);
    this.context = PlatformContext.attach(this, p.settings, { awsProvider: p.awsProvider });
    this.policyPack = new PolicyPack(p.policyRules ?? CORE_RULES);
    Aspects.of(this).add(this.policyPack);
  }
}
