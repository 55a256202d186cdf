/**
 * Resolves a registered model version (by number or alias), checks its governance status, and
 * installs its artifact into the model directory, verified against the digest the registry holds.
 *
 * Layout of `modelDir` when done: the archive's files at the top, plus `.gaiops-model.json`
 * (name, version, digest, source, fetchedAt) written last as the completion marker. The archive is
 * unpacked into `modelDir/.staging-*` first and moved into place only after its digest matched, so
 * a failed or interrupted fetch never leaves a model the server could load. A restarted init
 * container (same pod, same emptyDir) that finds a marker with the same digest does nothing.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ModelVersion, RegistryClient } from '../../../model-registry/client/registry-client';
import { RegistryApiError } from '../../../model-registry/client/registry-client';
import { type ModelFetcherConfig, ModelFetcherError } from './config';
import { unpackVerified } from './unpack';

export const MARKER_FILE = '.gaiops-model.json';
const STAGING_PREFIX = '.staging-';

export interface InstalledModel {
  readonly name: string;
  readonly version: string;
  readonly digest: string;
  readonly source: string;
  readonly files: number;
  readonly bytes: number;
  /** False when the marker showed this exact artifact already installed. */
  readonly downloaded: boolean;
}

export interface FetchModelDeps {
  readonly registry: Pick<RegistryClient, 'getModelVersion' | 'getByAlias' | 'getGovernanceStatus' | 'getDownloadUri'>;
  readonly s3: S3Client;
  readonly now?: () => Date;
  readonly log?: (message: string, extra?: Record<string, unknown>) => void;
}

/** `sha256:<64 hex>` → the hex digest. */
export function digestOfSource(source: string): string | undefined {
  const match = /^sha256:([0-9a-f]{64})$/.exec(source);
  return match?.[1];
}

/** `s3://bucket/key` → parts. */
export function parseS3Uri(uri: string): { bucket: string; key: string } | undefined {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/.exec(uri);
  return match ? { bucket: match[1], key: match[2] } : undefined;
}

async function resolveVersion(config: ModelFetcherConfig, registry: FetchModelDeps['registry']): Promise<ModelVersion> {
  const what = config.selector.kind === 'version' ? `version ${config.selector.version}` : `alias "${config.selector.alias}"`;
  try {
    return config.selector.kind === 'version'
      ? await registry.getModelVersion(config.modelName, config.selector.version)
      : await registry.getByAlias(config.modelName, config.selector.alias);
  } catch (error) {
    const detail = error instanceof RegistryApiError ? `${error.errorCode}: ${error.message}` : error instanceof Error ? error.message : String(error);
    throw new ModelFetcherError('registry', `could not resolve model "${config.modelName}" ${what}: ${detail}`, { cause: error });
  }
}

async function readMarker(modelDir: string): Promise<{ digest?: string; version?: string } | undefined> {
  try {
    return JSON.parse(await readFile(join(modelDir, MARKER_FILE), 'utf8')) as { digest?: string; version?: string };
  } catch {
    return undefined;
  }
}

export async function fetchModel(config: ModelFetcherConfig, deps: FetchModelDeps): Promise<InstalledModel> {
  const log = deps.log ?? (() => undefined);
  const version = await resolveVersion(config, deps.registry);
  const digest = digestOfSource(version.source);
  if (digest === undefined) {
    throw new ModelFetcherError('artifact', `model "${version.name}" version ${version.version} has source "${version.source.slice(0, 200)}", not a gaiops content address (sha256:<digest>)`);
  }
  log('model version resolved', { model: version.name, version: version.version, digest });

  if (config.requireEligible) {
    let status;
    try {
      status = await deps.registry.getGovernanceStatus(version.name, version.version);
    } catch (error) {
      throw new ModelFetcherError('registry', `could not read the governance status of "${version.name}" version ${version.version}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    if (!status.eligible) {
      const unmet = status.unmet_conditions.map((c) => `${c.condition} (${c.message})`).join('; ');
      throw new ModelFetcherError('governance', `model "${version.name}" version ${version.version} is not eligible for serving: ${unmet || 'not approved'}`);
    }
  }

  await mkdir(config.modelDir, { recursive: true });
  const marker = await readMarker(config.modelDir);
  if (marker?.digest === digest) {
    log('model already installed', { version: version.version, digest });
    return { name: version.name, version: version.version, digest, source: version.source, files: 0, bytes: 0, downloaded: false };
  }

  let uri: string;
  try {
    uri = await deps.registry.getDownloadUri(version.name, version.version);
  } catch (error) {
    throw new ModelFetcherError('registry', `could not get the download URI of "${version.name}" version ${version.version}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const location = parseS3Uri(uri);
  if (!location) throw new ModelFetcherError('artifact', `download URI "${uri.slice(0, 200)}" is not an s3:// URI`);

  // Clear whatever an earlier, different or interrupted fetch left (the marker first).
  for (const name of [MARKER_FILE, ...(await readdir(config.modelDir))]) await rm(join(config.modelDir, name), { recursive: true, force: true });
  const staging = join(config.modelDir, `${STAGING_PREFIX}${randomUUID()}`);
  await mkdir(staging);
  try {
    let body: Readable;
    try {
      const object = await deps.s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
      body = object.Body as Readable;
    } catch (error) {
      throw new ModelFetcherError('artifact', `could not read ${uri}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    const unpacked = await unpackVerified(body, staging, digest);
    for (const name of await readdir(staging)) await rename(join(staging, name), join(config.modelDir, name));
    const installed = { name: version.name, version: version.version, digest, source: version.source, fetchedAt: (deps.now ?? (() => new Date()))().toISOString() };
    await writeFile(join(config.modelDir, MARKER_FILE), `${JSON.stringify(installed, null, 2)}\n`);
    log('model installed', { version: version.version, digest, files: unpacked.files, bytes: unpacked.bytes });
    return { name: version.name, version: version.version, digest, source: version.source, files: unpacked.files, bytes: unpacked.bytes, downloaded: true };
  } catch (error) {
    // Nothing half-installed: drop everything, including files already moved.
    for (const name of await readdir(config.modelDir)) await rm(join(config.modelDir, name), { recursive: true, force: true });
    throw error;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
