import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { POD_IDENTITY_AGENT as CORE_POD_IDENTITY_AGENT } from '../../src/core/k8s/pod-identity-agent';
import {
  containerSecurity,
  DEFAULT_RUN_AS_USER,
  httpProbe,
  podSecurity,
  podSecurityManifest,
  restrictedNamespaceLabels,
  RESTRICTED_CONTAINER,
  topologySpread,
} from '../../src/core/k8s/pod-security';
import { containerResourcesSchema, GPU_WORKLOAD_QUANTITY_EXAMPLES, QUANTITY_PATTERN, quantitySchema, quantityValue } from '../../src/core/k8s/quantity';
import { GPU_TAINT, NODE_POOL_LABEL } from '../../src/gpu-training-cluster/node-pools';
import { GPU_TAINT as LABELS_GPU_TAINT, NODE_POOL_LABEL as LABELS_NODE_POOL_LABEL } from '../../src/gpu-training-cluster/labels';
import { POD_IDENTITY_AGENT } from '../../src/gpu-training-cluster/teams';
import { quantityValue as teamsQuantityValue } from '../../src/gpu-training-cluster/teams-schema';
import { DEFAULT_RUN_AS_USER as INFERENCE_RUN_AS_USER } from '../../src/inference-service/schema';

describe('pod security pieces', () => {
  it('restricts every container: no privileges, no capabilities, read-only root, RuntimeDefault seccomp', () => {
    expect(containerSecurity(1234)).toEqual({
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
      runAsUser: '1234',
      runAsGroup: '1234',
    });
    // A fresh object each time: a caller changing one context never changes another.
    expect(containerSecurity(1)).not.toBe(containerSecurity(1));
    expect(RESTRICTED_CONTAINER.runAsUser).toBeUndefined();
  });

  it('gives typed pods string IDs and raw manifests numeric IDs, in the same order', () => {
    expect(podSecurity(DEFAULT_RUN_AS_USER)).toEqual({ runAsNonRoot: true, runAsUser: '65532', runAsGroup: '65532', fsGroup: '65532', seccompProfile: { type: 'RuntimeDefault' } });
    const manifest = podSecurityManifest(1000);
    expect(manifest).toEqual({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    // Rendered YAML (chart hashes) depends on the key order.
    expect(Object.keys(manifest)).toEqual(Object.keys(podSecurity(1000)));
  });

  it('spreads over zones then nodes without blocking scheduling, with a copy of the selector', () => {
    const selector = { app: 'x' };
    const spread = topologySpread(selector);
    expect(spread.map((s) => s.topologyKey)).toEqual(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
    expect(spread.every((s) => s.whenUnsatisfiable === 'ScheduleAnyway' && s.maxSkew === 1)).toBe(true);
    const matchLabels = (spread[0].labelSelector as { matchLabels: Record<string, string> }[])[0].matchLabels;
    expect(matchLabels).toEqual(selector);
    expect(matchLabels).not.toBe(selector);
  });

  it('probes over HTTP with a 2 s timeout unless told otherwise', () => {
    expect(httpProbe('/healthz', 8080, 10, 3)).toEqual({ httpGet: { path: '/healthz', port: '8080', scheme: 'HTTP' }, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 });
    expect(httpProbe('/health', 8000, 20, 3, 5).timeoutSeconds).toBe(5);
  });

  it('labels a namespace restricted for enforce, warn and audit', () => {
    expect(restrictedNamespaceLabels()).toEqual({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'latest',
      'pod-security.kubernetes.io/warn': 'restricted',
      'pod-security.kubernetes.io/warn-version': 'latest',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/audit-version': 'latest',
    });
  });

  it('keeps the moved constants reachable from their old modules', () => {
    expect(POD_IDENTITY_AGENT).toBe(CORE_POD_IDENTITY_AGENT);
    expect(teamsQuantityValue).toBe(quantityValue);
    expect(GPU_TAINT).toBe(LABELS_GPU_TAINT);
    expect(NODE_POOL_LABEL).toBe(LABELS_NODE_POOL_LABEL);
    expect(INFERENCE_RUN_AS_USER).toBe(DEFAULT_RUN_AS_USER);
  });
});

describe('quantities', () => {
  it('values CPU and memory quantities in cores and bytes', () => {
    expect(quantityValue('500m')).toBe(0.5);
    expect(quantityValue('2')).toBe(2);
    expect(quantityValue('1.5Gi')).toBe(1.5 * 2 ** 30);
    expect(quantityValue('1G')).toBe(1e9);
    expect(quantityValue('1gb')).toBeUndefined();
    expect(quantityValue('-1')).toBeUndefined();
    expect(QUANTITY_PATTERN.test('8Gi')).toBe(true);
  });

  it('names the examples in the error', () => {
    const result = quantitySchema('memory', GPU_WORKLOAD_QUANTITY_EXAMPLES).safeParse('lots');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0].message).toBe('must be a Kubernetes memory quantity such as 512Mi or 16Gi');
    expect(quantitySchema('CPU').safeParse('x').error?.issues[0].message).toBe('must be a Kubernetes CPU quantity such as 500m or 2');
  });

  it('applies resource defaults, names the container in descriptions and refuses a request above its limit', () => {
    const schema = containerResourcesSchema({ cpuRequest: '1', cpuLimit: '2', memoryRequest: '1Gi', memoryLimit: '2Gi' }, { container: 'gateway container' });
    expect(schema.parse({})).toEqual({ cpuRequest: '1', cpuLimit: '2', memoryRequest: '1Gi', memoryLimit: '2Gi' });
    expect((schema as unknown as z.ZodObject).shape.cpuRequest.description).toBe('CPU request of the gateway container. Default `1`.');
    const bad = schema.safeParse({ cpuRequest: '3', memoryRequest: '4Gi' });
    expect(bad.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual(['cpuRequest: must not exceed cpuLimit (2)', 'memoryRequest: must not exceed memoryLimit (2Gi)']);
    const plain = containerResourcesSchema({ cpuRequest: '1', cpuLimit: '2', memoryRequest: '1Gi', memoryLimit: '2Gi' });
    expect((plain as unknown as z.ZodObject).shape.memoryLimit.description).toBe('Memory limit. Default `2Gi`.');
  });
});
