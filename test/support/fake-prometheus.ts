/**
 * A Prometheus HTTP query API stand-in for tests: a real HTTP server on 127.0.0.1 (random port)
 * answering `GET …/api/v1/query?query=<PromQL>` (any path prefix, so it can also stand behind an
 * API-server proxy path) with an instant-query result computed by a test-supplied function of the
 * query text. Every query is recorded.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the server answers for a query: a number (one series), `null` (no series) or an HTTP error status. */
export type PrometheusAnswer = number | null | { readonly httpStatus: number };

export interface FakePrometheus {
  /** e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** Queries received, in order, with the request path. */
  readonly queries: { readonly path: string; readonly query: string }[];
  /** Replaces the answer function. */
  answer(fn: (query: string) => PrometheusAnswer): void;
  close(): Promise<void>;
}

/** Starts the server; `answer` defaults to no series for every query. */
export async function startFakePrometheus(answer: (query: string) => PrometheusAnswer = () => null): Promise<FakePrometheus> {
  let respond = answer;
  const queries: { path: string; query: string }[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    const query = url.searchParams.get('query');
    if (req.method !== 'GET' || !url.pathname.endsWith('/api/v1/query')) return send(404, { status: 'error', errorType: 'not_found', error: 'not found' });
    if (!query) return send(400, { status: 'error', errorType: 'bad_data', error: 'query is required' });
    queries.push({ path: url.pathname, query });
    const value = respond(query);
    if (value !== null && typeof value === 'object') return send(value.httpStatus, { status: 'error', errorType: 'internal', error: 'injected failure' });
    const ts = 1_700_000_000;
    send(200, { status: 'success', data: { resultType: 'vector', result: value === null ? [] : [{ metric: {}, value: [ts, String(value)] }] } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    queries,
    answer(fn) {
      respond = fn;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Gateway traffic of the candidate over a check window, as the four health queries see it. */
export interface CandidateTraffic {
  readonly requests: number;
  readonly serverErrors: number;
  readonly retries: number;
  readonly p99Seconds: number | null;
}

/** An answer function for the rollout health queries (by the metric and selector each one uses). */
export function trafficAnswer(traffic: CandidateTraffic | null): (query: string) => PrometheusAnswer {
  return (query) => {
    if (traffic === null) return null;
    if (query.startsWith('histogram_quantile(')) return traffic.p99Seconds;
    if (query.includes('gaiops_gateway_retries_total')) return traffic.retries;
    if (query.includes('code=~"5.."')) return traffic.serverErrors;
    if (query.includes('gaiops_gateway_requests_total')) return traffic.requests;
    return null;
  };
}
