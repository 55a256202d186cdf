/**
 * Lambda entrypoint of the training-job API (API Gateway HTTP API, payload v2, AWS_IAM routes).
 * Configuration from `TJ_*` (see config.ts; an invalid configuration fails the cold start). The
 * function authenticates to the EKS API with its own role (an EKS token presigned from the
 * Lambda's credentials, which the runtime puts in the environment); an access entry maps the role
 * to the Kubernetes group bound by TrainingJobApiRbac.
 */
import { eksKubeClient } from '../../../core/runtime/kube-client';
import { toLambdaHandler } from '../../../core/runtime/lambda-http';
import { createLogger } from '../../../core/runtime/logger';
import { loadTrainingApiConfig } from './config';
import { createTrainingApiApp, TRAINING_API_SERVICE_NAME } from './training-api-app';

const config = loadTrainingApiConfig(process.env);

export const handler = toLambdaHandler(
  createTrainingApiApp({
    kube: eksKubeClient({ clusterName: config.cluster.name, endpoint: config.cluster.endpoint, caData: config.cluster.caData, region: config.region }),
    config,
    logger: createLogger(TRAINING_API_SERVICE_NAME),
  }),
);
