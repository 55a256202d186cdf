/**
 * Kubernetes resource quantities (`500m`, `2`, `8Gi`) and the container requests/limits schema
 * built on them. Construct-free (zod only), so runtimes and constructs share it.
 */
import { z } from 'zod';

/** A Kubernetes resource quantity: `500m`, `2`, `1.5`, `8Gi`, `512Mi`, `1G`. */
export const QUANTITY_PATTERN = /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

const SUFFIX_FACTORS: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The value of a quantity in base units (cores or bytes); undefined when it is not a quantity. */
export function quantityValue(quantity: string): number | undefined {
  const m = /^([0-9]+(?:\.[0-9]+)?)([a-zA-Z]*)$/.exec(quantity);
  if (!m || !QUANTITY_PATTERN.test(quantity)) return undefined;
  return Number(m[1]) * SUFFIX_FACTORS[m[2]];
}

/** Examples named in a quantity's error message (`must be a Kubernetes CPU quantity such as 500m or 2`). */
export interface QuantityExamples {
  readonly cpu: string;
  readonly memory: string;
}

/** The examples of an HTTP service's quantities. */
export const SERVICE_QUANTITY_EXAMPLES: QuantityExamples = { cpu: '500m or 2', memory: '256Mi or 1Gi' };

/** The examples of a GPU workload's quantities (model servers, training containers). */
export const GPU_WORKLOAD_QUANTITY_EXAMPLES: QuantityExamples = { cpu: '500m or 4', memory: '512Mi or 16Gi' };

/** A CPU or memory quantity string, its error naming `examples`. */
export function quantitySchema(what: 'CPU' | 'memory', examples: QuantityExamples = SERVICE_QUANTITY_EXAMPLES) {
  return z.string().regex(QUANTITY_PATTERN, `must be a Kubernetes ${what} quantity such as ${what === 'CPU' ? examples.cpu : examples.memory}`);
}

/** Default CPU/memory requests and limits of a container. */
export interface ContainerResourceDefaults {
  readonly cpuRequest: string;
  readonly cpuLimit: string;
  readonly memoryRequest: string;
  readonly memoryLimit: string;
}

/** Options of {@link containerResourcesSchema}. */
export interface ContainerResourcesSchemaOptions {
  /** The container the descriptions name (`CPU request of the gateway container.`). Default none (`CPU request.`). */
  readonly container?: string;
  /** Examples in the quantity error messages. Default {@link SERVICE_QUANTITY_EXAMPLES}. */
  readonly examples?: QuantityExamples;
}

/** Container CPU/memory requests and limits with the given defaults; a request above its limit is refused. */
export function containerResourcesSchema(d: ContainerResourceDefaults, options: ContainerResourcesSchemaOptions = {}) {
  const quantity = (what: 'CPU' | 'memory') => quantitySchema(what, options.examples);
  const of = options.container === undefined ? '' : ` of the ${options.container}`;
  return z
    .strictObject({
      cpuRequest: quantity('CPU').default(d.cpuRequest).describe(`CPU request${of}. Default \`${d.cpuRequest}\`.`),
      cpuLimit: quantity('CPU').default(d.cpuLimit).describe(`CPU limit${of}. Default \`${d.cpuLimit}\`.`),
      memoryRequest: quantity('memory').default(d.memoryRequest).describe(`Memory request${of}. Default \`${d.memoryRequest}\`.`),
      memoryLimit: quantity('memory').default(d.memoryLimit).describe(`Memory limit${of}. Default \`${d.memoryLimit}\`.`),
    })
    .superRefine((r, ctx) => {
      for (const kind of ['cpu', 'memory'] as const) {
        const request = r[`${kind}Request`];
        const limit = r[`${kind}Limit`];
        const rv = typeof request === 'string' ? quantityValue(request) : undefined;
        const lv = typeof limit === 'string' ? quantityValue(limit) : undefined;
        if (rv !== undefined && lv !== undefined && rv > lv) ctx.addIssue({ code: 'custom', path: [`${kind}Request`], message: `must not exceed ${kind}Limit (${limit})` });
      }
    });
}
