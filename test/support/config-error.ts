import { GaiConfigError } from '../../src/core/errors';

/** Runs `fn` and returns the GaiConfigError it throws; fails on any other outcome. */
export function configError(fn: () => unknown): GaiConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof GaiConfigError) return err;
    throw err;
  }
  throw new Error('expected a GaiConfigError');
}
