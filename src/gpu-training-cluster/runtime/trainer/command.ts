/**
 * Step 2: run the user's training command as a child process.
 *
 * The command gets the trainer's environment plus the hyperparameters (`HP_<NAME>` upper-cased and
 * `TRAINER_PARAMS_JSON`) and the paths (`DATA_DIR`, `OUTPUT_DIR`, `METRICS_FILE`). Its stdout and
 * stderr are streamed through as they come; SIGTERM / SIGINT received by the trainer while it runs
 * are forwarded to it (Kubernetes sends SIGTERM on eviction and deletion), and the trainer waits
 * for it to exit.
 */
import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import type { HyperparameterValue } from './config';
import { TrainerError, messageOf } from './errors';

export const FORWARDED_SIGNALS = ['SIGTERM', 'SIGINT'] as const;
export type ForwardedSignal = (typeof FORWARDED_SIGNALS)[number];

/** Where signals come from: `process`, or an `EventEmitter` in tests. */
export interface SignalSource {
  on(signal: ForwardedSignal, listener: () => void): unknown;
  off(signal: ForwardedSignal, listener: () => void): unknown;
}

export interface TrainingPaths {
  readonly dataDir: string;
  readonly outputDir: string;
  readonly metricsFile: string;
}

/** The command's environment: `base` plus hyperparameters and paths (these win over `base`). */
export function trainingEnv(
  base: Readonly<Record<string, string | undefined>>,
  params: Readonly<Record<string, HyperparameterValue>>,
  paths: TrainingPaths,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) if (value !== undefined && !name.startsWith('HP_')) env[name] = value;
  for (const [name, value] of Object.entries(params)) env[`HP_${name.toUpperCase()}`] = String(value);
  env.TRAINER_PARAMS_JSON = JSON.stringify(params);
  env.DATA_DIR = paths.dataDir;
  env.OUTPUT_DIR = paths.outputDir;
  env.METRICS_FILE = paths.metricsFile;
  return env;
}

export interface RunCommandOptions {
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Receives the command's stdout / stderr (not ended when the command exits). */
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Signals to forward while the command runs. */
  readonly signals?: SignalSource;
}

export interface CommandResult {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The signal the trainer forwarded, if any. */
  readonly forwarded: ForwardedSignal | null;
  readonly durationMs: number;
}

/** Runs the command to completion. Rejects only when it cannot be started. */
export function runCommand(options: RunCommandOptions): Promise<CommandResult> {
  const [file, ...args] = options.command;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    let forwarded: ForwardedSignal | null = null;
    const listeners = new Map<ForwardedSignal, () => void>();
    const stopForwarding = () => {
      for (const [signal, listener] of listeners) options.signals?.off(signal, listener);
      listeners.clear();
    };
    const child = spawn(file, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(options.stdout, { end: false });
    child.stderr.pipe(options.stderr, { end: false });
    if (options.signals) {
      for (const signal of FORWARDED_SIGNALS) {
        const listener = () => {
          forwarded = signal;
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        };
        listeners.set(signal, listener);
        options.signals.on(signal, listener);
      }
    }
    child.once('error', (error) => {
      stopForwarding();
      reject(new TrainerError('train', `could not start the training command '${file}': ${messageOf(error)}`, { cause: error }));
    });
    // 'close': the process exited and its stdio streams are drained.
    child.once('close', (exitCode, signal) => {
      stopForwarding();
      resolve({ exitCode, signal, forwarded, durationMs: Date.now() - started });
    });
  });
}

/** Throws `TrainerError('train')` unless the command exited with 0. */
export function assertSucceeded(command: readonly string[], result: CommandResult): void {
  if (result.exitCode === 0) return;
  const how = result.signal !== null ? `was killed by ${result.signal}` : `exited with code ${result.exitCode}`;
  const why = result.forwarded ? ` after the trainer forwarded ${result.forwarded}` : '';
  throw new TrainerError('train', `the training command '${command[0]}' ${how}${why}; nothing was registered`);
}
