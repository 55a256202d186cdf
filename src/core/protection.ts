import type { PlatformContext } from './platform-context';
import type { TerraformResource } from './tf';

/**
 * Marks a stateful resource `prevent_destroy` unless the environment is ephemeral. Terraform then
 * refuses any plan that would destroy or replace it — the last line of defence against data loss.
 */
export function protectFromDestroy(resource: TerraformResource, ctx: PlatformContext): void {
  if (ctx.ephemeral) return;
  resource.lifecycle = { ...(resource.lifecycle ?? {}), preventDestroy: true };
}
