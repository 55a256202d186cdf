/**
 * Errors with stable ids (`gaiops:<area>:<problem>`), so they can be searched, documented and
 * suppressed.
 */
export class GaiError extends Error {
  constructor(
    /** Stable id, e.g. `gaiops:bundling:entry-missing`. */
    public readonly code: string,
    message: string,
  ) {
    super(`[${code}] ${message}`);
    this.name = 'GaiError';
  }
}

/** One problem found while validating props: where and what. */
export interface ConfigProblem {
  /** Construct path, e.g. `foundation/Artifacts`. */
  readonly constructPath: string;
  /** Field path inside the props, e.g. `lifecycle.noncurrentVersionExpirationDays` or `gsis[1].name`. */
  readonly fieldPath: string;
  readonly message: string;
}

/**
 * Thrown when props (or platform settings) fail validation. The message lists every problem, one
 * per line, as `<construct path>: <field path>: <message>`.
 */
export class GaiConfigError extends GaiError {
  constructor(public readonly problems: readonly ConfigProblem[]) {
    super(
      'gaiops:config:invalid',
      `invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  ${p.constructPath}: ${p.fieldPath}: ${p.message}`).join('\n'),
    );
    this.name = 'GaiConfigError';
  }
}
