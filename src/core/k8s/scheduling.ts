/** Kubernetes label and scheduling schemas shared by the constructs that place pods. */
import { z } from 'zod';

/** A label key: optional DNS-subdomain prefix and `/`, then a name of at most 63 characters. */
export const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
/** A label value: empty, or at most 63 characters starting and ending alphanumeric. */
export const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

/** `nodeSelector`: label key → value. */
export const NodeSelectorSchema = z.record(z.string().regex(LABEL_KEY, 'must be a label key'), z.string().regex(LABEL_VALUE, 'must be a label value'));

/** One toleration (`operator` defaults to `Equal`, as in Kubernetes). */
export const TolerationSchema = z.strictObject({
  key: z.string().regex(LABEL_KEY, 'must be a taint key').optional(),
  operator: z.enum(['Equal', 'Exists']).default('Equal'),
  value: z.string().regex(LABEL_VALUE, 'must be a taint value').optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
});

/** At most 20 tolerations. */
export const TolerationsSchema = z.array(TolerationSchema).max(20);
