/**
 * Trainer failures: each names the step that failed and carries the process exit code (see the
 * README's exit-code table), so `main.ts` prints one line and exits with a code a Kubernetes Job
 * `podFailurePolicy` can act on (e.g. do not retry configuration or integrity failures).
 */

export const EXIT_CODES = {
  ok: 0,
  unexpected: 1,
  config: 2,
  dataset: 3,
  train: 4,
  metrics: 5,
  artifact: 6,
  register: 7,
  registerIncomplete: 8,
} as const;

export type TrainerStage = Exclude<keyof typeof EXIT_CODES, 'ok' | 'unexpected' | 'registerIncomplete'> | 'register-incomplete';

const STAGE_EXIT: Readonly<Record<TrainerStage, number>> = {
  config: EXIT_CODES.config,
  dataset: EXIT_CODES.dataset,
  train: EXIT_CODES.train,
  metrics: EXIT_CODES.metrics,
  artifact: EXIT_CODES.artifact,
  register: EXIT_CODES.register,
  'register-incomplete': EXIT_CODES.registerIncomplete,
};

export class TrainerError extends Error {
  readonly exitCode: number;

  constructor(
    readonly stage: TrainerStage,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TrainerError';
    this.exitCode = STAGE_EXIT[stage];
  }
}

/** The single stderr line for a failure (no newlines, bounded length). */
export function failureLine(error: unknown): string {
  const text =
    error instanceof TrainerError
      ? `trainer failed [${error.stage}]: ${error.message}`
      : `trainer failed [unexpected]: ${error instanceof Error ? error.message : String(error)}`;
  const flat = text.replace(/\s*[\r\n]+\s*/g, ' ');
  return flat.length > 4000 ? `${flat.slice(0, 3997)}...` : flat;
}

export function exitCodeOf(error: unknown): number {
  return error instanceof TrainerError ? error.exitCode : EXIT_CODES.unexpected;
}

/** The message of an unknown error (for wrapping). */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
