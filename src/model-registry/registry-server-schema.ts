/**
 * Props of the RegistryServer construct: the ModelRegistry it serves, the cluster and image, who may
 * connect (NetworkPolicy) and who may call what (IAM principals and their access), plus the
 * workload settings shared with every gaiops in-cluster HTTP service (`HttpWorkloadPropsSchema`).
 */
import { z } from 'zod';
import { serviceWorkloadShape } from '../core/k8s/http-workload';
import { instanceOfLater, isToken } from '../core/props';
import { ModelRegistry } from './model-registry';

/** What a caller may do, as the ModelRegistry grants of the same names. */
export const REGISTRY_ACCESS_LEVELS = ['read', 'register', 'approve', 'admin'] as const;
export type RegistryAccessLevel = (typeof REGISTRY_ACCESS_LEVELS)[number];

const PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/.+$/;

export const RegistryCallerSchema = z.strictObject({
  principalArn: z
    .string()
    .refine((v) => isToken(v) || PRINCIPAL_ARN.test(v), 'must be an IAM role or user ARN')
    .describe('IAM role (any session of it) or user allowed to call the server.'),
  access: z.enum(REGISTRY_ACCESS_LEVELS).describe('`read`, `register` (read, write, deploy), `approve` (read, approve) or `admin` (every route), as the ModelRegistry grants.'),
});
export type RegistryCallerInput = z.input<typeof RegistryCallerSchema>;

export const RegistryServerPropsSchema = z.strictObject({
  registry: instanceOfLater(() => ModelRegistry, 'ModelRegistry').describe(
    'The ModelRegistry served (may live in another stack): the server role gets the registry API function\'s grants (tables, artifacts, key, event bus) and the same environment.',
  ),
  ...serviceWorkloadShape({
    name: 'model-registry',
    runtime: 'model-registry',
    clients:
      'Who may connect (NetworkPolicy ingress on port 8080): the training team namespaces, e.g. `[{ namespace: "vision" }]` or `[{ namespaceLabels: { "gaiops.io/team": "vision" } }]`; nobody else can. Required.',
  }),
  callers: z
    .array(RegistryCallerSchema)
    .max(100)
    .default([])
    .describe('IAM principals allowed to call, with their access. `grantRead`/`grantRegister`/`grantApprove`/`grantAdmin` add more. Default none.'),
  audience: z
    .string()
    .regex(/^[A-Za-z0-9._:/-]{1,255}$/, 'must be 1-255 letters, digits, . _ : / -')
    .optional()
    .describe('Audience identity tokens must be minted for (`RegistryClient` option `identityToken.audience`). Default `<name>.<namespace>.svc`.'),
});
export type RegistryServerProps = z.input<typeof RegistryServerPropsSchema>;
export type RegistryServerConfig = z.output<typeof RegistryServerPropsSchema>;
