/**
 * Node labels and taints of gaiops pools, construct-free: GpuNodePools puts them on nodes and the
 * training-job API Lambda (which must not bundle cdktf) selects and tolerates them.
 */

/** The taint every GPU node carries: only pods tolerating it (GPU workloads) land there. */
export const GPU_TAINT = { key: 'nvidia.com/gpu', effect: 'NoSchedule' } as const;

/** The label every node of a gaiops pool carries, valued with the pool name. */
export const NODE_POOL_LABEL = 'gaiops.io/node-pool';
