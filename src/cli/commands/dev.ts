/** `gaiops dev`: the local playground (see `../dev/playground.ts`) until SIGINT / SIGTERM. */
import { EXIT, UsageError, parseCommandArgs, type CliIo } from '../args';
import type { Playground } from '../dev/playground';
import {
  DEV_APPROVER_PRINCIPAL,
  DEV_APPROVER_ROLE_ARN,
  DEV_ARTIFACT_BUCKET,
  DEV_DEFAULT_PORT,
  DEV_GATEWAY_MODEL,
  DEV_PRINCIPAL,
  DEV_VARIANTS,
} from '../dev/playground-settings';
import { PortInUseError } from '../dev/port-in-use-error';

export const DEV_HELP = `Usage: gaiops dev [--port <n>]

Runs the local playground on 127.0.0.1: the real ModelRegistry, FeatureStore and
InferenceService-gateway handlers on embedded DynamoDB (dynalite) and S3 (s3rver), with a
built-in deterministic fake model. No cloud account, credentials or network needed.

  http://127.0.0.1:<n>/registry/api/2.0/mlflow/...   MLflow Model Registry REST API
  http://127.0.0.1:<n>/registry/api/2.0/gaiops/...   lineage, approvals, governance, audit
  http://127.0.0.1:<n>/features/get-online-features  Feast-style online features
  http://127.0.0.1:<n>/features/push                 push rows (online and/or offline)
  http://127.0.0.1:<n>/features/datasets/...         dataset versions, tags, revert
  http://127.0.0.1:<n>/gateway/v1/...                OpenAI-compatible gateway: chat/completions,
                                                     completions, embeddings, models, streaming

GET http://127.0.0.1:<n>/ lists these URLs.

When everything is up, prints one JSON line to stdout (and nothing else):
  {"ready":true,"registry":"http://127.0.0.1:<n>/registry","features":"http://127.0.0.1:<n>/features",
   "gateway":"http://127.0.0.1:<n>/gateway/v1","apiKey":"<dev key>"}
Logs (one JSON object per line: requests, registry events) go to stderr.

Gateway: model "${DEV_GATEWAY_MODEL}"; variants ${DEV_VARIANTS.map((v) => `"${v.name}" (weight ${v.weight})`).join(' and ')}, both served
  by the fake model, which answers "<fake model> says: <your last message>" and returns
  deterministic embeddings. Authenticate with "Authorization: Bearer <apiKey>" (a new key every
  run; only its sha256 is stored). The key may force a variant with "x-gaiops-variant: <name>".
  The generated gateway.json / keys.json (under "dataDir" of the ready log line) reload live.
Registry and features: the caller is the "x-gaiops-principal" header (an IAM ARN; trusted in dev
  mode only), default ${DEV_PRINCIPAL}.
  Approvers: sessions of ${DEV_APPROVER_ROLE_ARN}, e.g.
  ${DEV_APPROVER_PRINCIPAL}. Gates as deployed (model card,
  artifact digest, four-eyes approval guard "production"); artifacts for sha256:<hex> sources go
  to s3://${DEV_ARTIFACT_BUCKET}/artifacts/sha256/<hex> (the S3 endpoint is in the
  "gaiops dev ready" log line; path-style, credentials S3RVER / S3RVER).
  Events are kept in memory and logged.
Features: the reference "customers" group (customer_id; email hashed with a per-run key, phone
  masked; gender, age_band, lifetime_value, orders_90d; online TTL 7 days).
All data is in memory or in a temp dir that is deleted on exit.

Options:
  --port <n>    port on 127.0.0.1 (default ${DEV_DEFAULT_PORT}; 0 picks a free one)
  -h, --help    show this help

Exit codes:
  0  stopped by SIGINT or SIGTERM after a clean shutdown (servers closed, gateway drained,
     temp dir deleted)
  1  could not start (port in use, an embedded service failed) or the shutdown failed
  2  usage error (unknown option, invalid --port)`;

/** A wait for the request to stop: `stopped` resolves with the signal; `dispose` removes the handlers. */
export interface StopWaiter {
  readonly stopped: Promise<NodeJS.Signals>;
  dispose(): void;
}

/**
 * SIGINT or SIGTERM of this process. After the first one, further signals are ignored until
 * `dispose` (a second Ctrl-C must not kill the process before the temp dir is deleted; shutdown
 * is bounded by the grace period anyway).
 */
export function waitForProcessSignal(): StopWaiter {
  let first: NodeJS.Signals | undefined;
  let resolveStopped: (signal: NodeJS.Signals) => void = () => undefined;
  const stopped = new Promise<NodeJS.Signals>((resolve) => (resolveStopped = resolve));
  const on = (signal: NodeJS.Signals): void => {
    if (first !== undefined) return;
    first = signal;
    resolveStopped(signal);
  };
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return {
    stopped,
    dispose() {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    },
  };
}

export async function devCommand(argv: readonly string[], io: CliIo, waitForStop: () => StopWaiter = waitForProcessSignal): Promise<number> {
  const { values } = parseCommandArgs('dev', argv, { port: { type: 'string', short: 'p' } });
  if (values.help) {
    io.stdout.write(`${DEV_HELP}\n`);
    return EXIT.OK;
  }
  const port = values.port === undefined ? DEV_DEFAULT_PORT : parsePort(values.port);

  // Listen for signals before starting, so a signal during start-up still shuts down cleanly.
  const stop = waitForStop();
  try {
    return await run(port, io, stop);
  } finally {
    stop.dispose();
  }
}

async function run(port: number, io: CliIo, stop: StopWaiter): Promise<number> {
  let signalled = false;
  void stop.stopped.then(() => (signalled = true));
  let playground: Playground;
  try {
    // Loaded here, not at the top: the runtimes are not needed for --help or a usage error.
    // (`require`, not `import()`: tsx and the compiled CommonJS CLI both resolve it.)
    const { startPlayground } = require('../dev/playground') as typeof import('../dev/playground');
    playground = await startPlayground({ port, log: io.stderr });
  } catch (error) {
    if (error instanceof PortInUseError) {
      io.stderr.write(`gaiops dev: port ${error.port} on 127.0.0.1 is already in use; pick another with --port <n> (0 picks a free one)\n`);
    } else {
      io.stderr.write(`gaiops dev: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    return EXIT.FAILED;
  }
  // Stopped while starting: shut down without announcing a playground that is about to go away.
  if (!signalled) announce(io, playground);
  const signal = await stop.stopped;
  logLine(io, 'gaiops dev stopping', { signal });
  try {
    await playground.close();
  } catch (error) {
    io.stderr.write(`gaiops dev: shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.FAILED;
  }
  logLine(io, 'gaiops dev stopped', { signal });
  return EXIT.OK;
}

/** The storage endpoints on stderr, then the one ready line on stdout. */
function announce(io: CliIo, playground: Playground): void {
  logLine(io, 'gaiops dev ready', {
    url: playground.url,
    dataDir: playground.dataDir,
    dynamodb: playground.storage.dynamodb,
    s3: playground.storage.s3,
    fakeModel: playground.storage.model,
  });
  io.stdout.write(
    `${JSON.stringify({ ready: true, registry: playground.registry, features: playground.features, gateway: playground.gateway, apiKey: playground.apiKey })}\n`,
  );
}

/** One JSON log line on stderr, shaped like the runtimes' lines. */
function logLine(io: CliIo, message: string, attributes: Record<string, unknown>): void {
  io.stderr.write(`${JSON.stringify({ level: 'INFO', message, service: 'gaiops-dev', timestamp: new Date().toISOString(), ...attributes })}\n`);
}

function parsePort(raw: string): number {
  const value = raw.trim();
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) {
    throw new UsageError(`gaiops dev: --port must be an integer from 0 to 65535, got '${raw}'\nRun 'gaiops dev --help' for usage.`);
  }
  return Number(value);
}
