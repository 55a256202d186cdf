/**
 * The oracle of the props property tests (issue #10): every input either synthesizes in a fresh
 * PlatformStack (whose policy pack fails synth on any unsuppressed error finding) or throws one
 * GaiConfigError whose problems name the construct path and a field of the input or the schema.
 * Anything else — a TypeError, a cdktf validation error, a policy-pack failure — fails the
 * property, and fast-check shrinks the input to a minimal counterexample (seed printed).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { expect } from 'vitest';
import type { z } from 'zod';
import { GaiConfigError } from '../../src/core/errors';
import type { PlatformSettingsInput } from '../../src/core/platform-settings';
import { PlatformStack } from '../../src/core/platform-stack';
import { App, Testing } from '../../src/core/tf';
import { clonePlain, mutated, randomProps, schemaKeys, validProps, type Overrides } from './arbitraries';

/** Runs per construct (the issue asks for 1,000). */
export const NUM_RUNS = 1000;

export interface PropsTarget {
  /** The props schema (drives the generators and the field-name check). */
  readonly schema: z.ZodType;
  /** Fixed seed, so a run is reproducible. */
  readonly seed: number;
  /** Construct path the errors must name, e.g. `teststack/Features`. */
  readonly constructPath: string;
  /** Overrides of the schema-derived generators (see {@link Overrides}); construct-typed fields use `dep(...)`. */
  readonly overrides?: Overrides;
  /** Replaces the schema-derived valid generator entirely (still mutated for the mutated share). */
  readonly valid?: fc.Arbitrary<unknown>;
  /** Builds the construct from the input inside the given fresh stack (dependencies first). */
  build(stack: PlatformStack, props: unknown): void;
  /** Relative weights of valid / mutated-valid / random inputs. Default 30 / 35 / 35. */
  readonly weights?: { valid: number; mutated: number; random: number };
  /** At least this many of the runs must synthesize. Default 150. */
  readonly minSynthesized?: number;
  /** At least this many of the runs must end in a GaiConfigError. Default 150. */
  readonly minRejected?: number;
}

export interface Outcomes {
  synthesized: number;
  rejected: number;
  /** Outcomes by generator kind. */
  byKind: Record<'valid' | 'mutated' | 'random', { synthesized: number; rejected: number }>;
}

type Kind = keyof Outcomes['byKind'];

/** Checks one GaiConfigError against the contract; returns what is wrong, or undefined. */
export function configErrorProblem(err: GaiConfigError, constructPath: string, fieldNames: ReadonlySet<string>): string | undefined {
  if (err.problems.length === 0) return 'GaiConfigError without problems';
  for (const p of err.problems) {
    if (p.constructPath !== constructPath) return `problem names construct path ${p.constructPath}, expected ${constructPath}: ${p.message}`;
    if (!err.message.includes(`${p.constructPath}: ${p.fieldPath}: `)) return `message does not contain "${p.constructPath}: ${p.fieldPath}: "`;
    if (p.fieldPath === '<props>') continue; // the props object itself (not an object, unknown keys, cross-field rule)
    // The top-level field must be one of the props; deeper segments may be user data (record keys).
    const field = /^[^.[]+/.exec(p.fieldPath)?.[0];
    if (field === undefined || !fieldNames.has(field)) return `field path ${p.fieldPath} names ${field}, which is in neither the input nor the schema`;
  }
  return undefined;
}

/**
 * 1,000 inputs (valid, mutated, random) → synth passes the policy pack, or a GaiConfigError naming
 * the field. Asserts the outcome shares afterwards so the test cannot pass vacuously.
 */
export function checkPropsProperty(target: PropsTarget): Outcomes {
  const valid = target.valid ?? validProps(target.schema, target.overrides);
  const w = target.weights ?? { valid: 30, mutated: 35, random: 35 };
  const input = fc.oneof(
    { weight: w.valid, arbitrary: valid.map((v) => ({ kind: 'valid' as Kind, props: v })) },
    { weight: w.mutated, arbitrary: mutated(valid).map((v) => ({ kind: 'mutated' as Kind, props: v })) },
    { weight: w.random, arbitrary: randomProps(target.schema).map((v) => ({ kind: 'random' as Kind, props: v })) },
  );
  const schemaNames = new Set(schemaKeys(target.schema));
  const outcomes: Outcomes = {
    synthesized: 0,
    rejected: 0,
    byKind: { valid: { synthesized: 0, rejected: 0 }, mutated: { synthesized: 0, rejected: 0 }, random: { synthesized: 0, rejected: 0 } },
  };
  const started = performance.now();
  /** Why inputs of the valid generator were rejected (the schema's cross-field rules the generator does not model). */
  const validRejections = new Map<string, number>();
  const outdir = mkdtempSync(join(tmpdir(), 'gaiops-props-'));
  try {
    withCheapStackTraces(() =>
      fc.assert(
        fc.property(input, ({ kind, props }) => {
          const { outcome, reason } = runOne(target, outdir, clonePlain(props), schemaNames);
          outcomes[outcome]++;
          outcomes.byKind[kind][outcome]++;
          if (kind === 'valid' && reason) validRejections.set(reason, (validRejections.get(reason) ?? 0) + 1);
        }),
        { numRuns: NUM_RUNS, seed: target.seed },
      ),
    );
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
  const reasons = [...validRejections].sort((a, b) => b[1] - a[1]).slice(0, 5);
  console.log(`${target.constructPath}: ${JSON.stringify(outcomes)} in ${Math.round(performance.now() - started)} ms; valid inputs rejected for ${JSON.stringify(reasons)}`);
  expect(outcomes.synthesized + outcomes.rejected).toBe(NUM_RUNS);
  expect(outcomes.synthesized, `synthesized ${JSON.stringify(outcomes.byKind)}`).toBeGreaterThanOrEqual(target.minSynthesized ?? 150);
  expect(outcomes.rejected, `rejected ${JSON.stringify(outcomes.byKind)}`).toBeGreaterThanOrEqual(target.minRejected ?? 150);
  expect(outcomes.byKind.random.synthesized + outcomes.byKind.random.rejected).toBeGreaterThan(100);
  expect(outcomes.byKind.mutated.synthesized + outcomes.byKind.mutated.rejected).toBeGreaterThan(100);
  return outcomes;
}

/**
 * The settings of test/support/synth.ts `platformStack()`. That helper is not imported here: it pulls
 * in the whole public index (every provider), which costs each property file ~1.4 s of CPU.
 */
const SETTINGS: PlatformSettingsInput = { prefix: 'gai', environment: 'test', region: 'eu-west-1', owner: 'ml-platform-team', costCenter: 'cc-1234' };

/** A fresh app and PlatformStack (`teststack`), as `platformStack()` builds them, in a shared outdir nothing is written to. */
function freshStack(outdir: string): PlatformStack {
  return new PlatformStack(new App({ outdir }), 'teststack', { settings: SETTINGS });
}

/** Another PlatformStack in the same app (for dependencies a construct may take from an earlier stack). */
export function siblingStack(stack: PlatformStack, id: string): PlatformStack {
  return new PlatformStack(stack.node.root, id, { settings: SETTINGS });
}

/**
 * Dependencies built on first use: `resolveDeps` reads only the ones the input still names, so the
 * many inputs that drop or replace them never pay for building them.
 */
export function lazyDeps(factories: Readonly<Record<string, () => unknown>>): Record<string, unknown> {
  const built = new Map<string, unknown>();
  const deps: Record<string, unknown> = {};
  for (const [name, make] of Object.entries(factories)) {
    Object.defineProperty(deps, name, {
      enumerable: true,
      get: () => {
        if (!built.has(name)) built.set(name, make());
        return built.get(name);
      },
    });
  }
  return deps;
}

/**
 * cdktf captures a full stack trace for every token it creates; with source maps on (vitest), V8
 * formats each through the source-map machinery, which is most of a construct's build time. The
 * traces only feed cdktf's own error messages, so while the property runs plain objects (cdktf's
 * captures) get no trace and real errors get V8's frames without source mapping.
 */
function withCheapStackTraces<T>(fn: () => T): T {
  const E = Error as unknown as { prepareStackTrace?: (e: unknown, frames: unknown[]) => string };
  const previous = E.prepareStackTrace;
  E.prepareStackTrace = (e, frames) => (e instanceof Error ? `${String(e)}\n    at ${frames.join('\n    at ')}` : '');
  try {
    return fn();
  } finally {
    E.prepareStackTrace = previous;
  }
}

function runOne(target: PropsTarget, outdir: string, props: unknown, schemaNames: ReadonlySet<string>): { outcome: 'synthesized' | 'rejected'; reason?: string } {
  const stack = freshStack(outdir);
  try {
    target.build(stack, props);
    // What test/support/synth.ts `synth()` runs (aspects, validations — the policy pack among them — and the
    // JSON), without its second toTerraform.
    Testing.synth(stack, true);
    return { outcome: 'synthesized' };
  } catch (err) {
    if (!(err instanceof GaiConfigError)) throw err;
    const names = new Set([...schemaNames, ...(props !== null && typeof props === 'object' ? Object.keys(props) : [])]);
    const problem = configErrorProblem(err, target.constructPath, names);
    if (problem) throw new Error(`malformed GaiConfigError: ${problem}\n${err.message}`);
    return { outcome: 'rejected', reason: `${err.problems[0].fieldPath}: ${err.problems[0].message}`.slice(0, 120) };
  }
}
