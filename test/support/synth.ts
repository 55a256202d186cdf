import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, PlatformStack, type PlatformSettingsInput } from '../../src';
import { Testing, type TerraformStack } from '../../src/core/tf';

export const SETTINGS: PlatformSettingsInput = {
  prefix: 'gai',
  environment: 'test',
  region: 'eu-west-1',
  owner: 'ml-platform-team',
  costCenter: 'cc-1234',
};

/** A fresh app (its own temp outdir, so assets never land in the repo) and a PlatformStack. */
export function platformStack(settings: Partial<PlatformSettingsInput> = {}, id = 'teststack'): PlatformStack {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'gaiops-test-')) });
  return new PlatformStack(app, id, { settings: { ...SETTINGS, ...settings } });
}

export type TfJson = {
  resource: Record<string, Record<string, Record<string, any>>>;
  data?: Record<string, Record<string, Record<string, any>>>;
  provider?: Record<string, any[]>;
  output?: Record<string, any>;
  '//'?: Record<string, any>;
};

/** Runs aspects and validations (the policy pack among them) and returns the full stack JSON, metadata included. */
export function synth(stack: TerraformStack): TfJson {
  Testing.synth(stack, true);
  return stack.toTerraform() as TfJson;
}

/** The resources of one type, as `[name, config]` pairs. */
export function resources(json: TfJson, type: string): [string, Record<string, any>][] {
  return Object.entries(json.resource[type] ?? {});
}

/** The single resource of a type (fails when there are none or several). */
export function only(json: TfJson, type: string): Record<string, any> {
  const all = resources(json, type);
  if (all.length !== 1) throw new Error(`expected exactly one ${type}, found ${all.length}`);
  return all[0][1];
}

/** The resource of a type whose construct path ends with `suffix`. */
export function byPath(json: TfJson, type: string, suffix: string): Record<string, any> {
  const found = resources(json, type).filter(([, c]) => String(c['//']?.metadata?.path ?? '').endsWith(suffix));
  if (found.length !== 1) throw new Error(`expected one ${type} at …${suffix}, found ${found.length}`);
  return found[0][1];
}

/** Parses an IAM policy JSON string. */
export function policy(text: string): { Statement: any[] } {
  return JSON.parse(text);
}
