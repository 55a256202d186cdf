/**
 * The one place that imports cdktf-core.
 *
 * cdktf 0.21.0 is the final upstream release (the community fork is `cdktn`); every other file in
 * gaiops imports these names from here, so swapping the core library means editing this file only.
 */
export {
  Annotations,
  App,
  AssetType,
  Aspects,
  DataResource,
  Fn,
  Lazy,
  LocalBackend,
  S3Backend,
  TerraformAsset,
  TerraformElement,
  TerraformOutput,
  TerraformResource,
  TerraformStack,
  Testing,
  Token,
} from 'cdktf';
export type { IAspect, IResolvable, ITerraformDependable, TerraformResourceLifecycle } from 'cdktf';
