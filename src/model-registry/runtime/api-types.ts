/**
 * Wire types of the registry API (MLflow Model Registry REST shapes plus the gaiops extensions).
 * Type-only: shared by the runtime and `RegistryClient`.
 */
import type { LineageFields } from './lineage';
import type { GateConditionName } from './governance';

export type ModelStage = 'None' | 'Staging' | 'Production' | 'Archived';

export interface Tag {
  readonly key: string;
  readonly value: string;
}

export interface ModelVersion {
  readonly name: string;
  /** A string, as in MLflow. */
  readonly version: string;
  /** Epoch milliseconds. */
  readonly creation_timestamp: number;
  readonly last_updated_timestamp: number;
  /** The principal that created the version. */
  readonly user_id: string;
  readonly current_stage: ModelStage;
  readonly description?: string;
  readonly source: string;
  readonly run_id?: string;
  readonly run_link?: string;
  readonly status: 'READY';
  readonly tags: readonly Tag[];
  readonly aliases: readonly string[];
}

export interface RegisteredModelAlias {
  readonly alias: string;
  readonly version: string;
}

export interface RegisteredModel {
  readonly name: string;
  readonly creation_timestamp: number;
  readonly last_updated_timestamp: number;
  readonly user_id: string;
  readonly description?: string;
  /** The latest version in each stage that has one. */
  readonly latest_versions: readonly ModelVersion[];
  readonly tags: readonly Tag[];
  readonly aliases: readonly RegisteredModelAlias[];
}

export interface LineageRecord extends Partial<LineageFields> {
  readonly name: string;
  readonly version: string;
  /** Increases with each change; approvals are bound to a revision. */
  readonly revision: number;
  readonly updated_timestamp: number;
  readonly updated_by: string;
}

export interface ReviewRecord {
  readonly decision: 'approved' | 'rejected';
  readonly principal: string;
  readonly comment?: string;
  readonly timestamp: number;
  readonly lineage_revision: number;
}

export interface GovernanceStatus {
  readonly name: string;
  readonly version: string;
  /** True when a promotion to a protected alias or to Production would be allowed now. */
  readonly eligible: boolean;
  readonly checked_conditions: readonly GateConditionName[];
  readonly unmet_conditions: readonly { readonly condition: GateConditionName; readonly message: string }[];
  readonly protected_aliases: readonly string[];
  readonly review?: ReviewRecord;
}

export interface AuditEntry {
  readonly audit_id: string;
  readonly timestamp: number;
  readonly principal: string;
  /** e.g. `model-versions/create`, `registered-models/alias/set`, `model-versions/approve`. */
  readonly action: string;
  readonly model_name: string;
  readonly model_id: string;
  readonly version?: string;
  readonly request_id: string;
  /** Changed fields before / after (`null` = absent); `null` as a whole for creations / deletions. */
  readonly before: unknown;
  readonly after: unknown;
  /** The caller's stated reason (`model-versions/withdraw`). */
  readonly reason?: string;
  readonly events?: readonly { readonly detailType: string; readonly detail: unknown }[];
}

export interface MlflowErrorBody {
  readonly error_code: string;
  readonly message: string;
  readonly details?: unknown;
}
