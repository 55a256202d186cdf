/**
 * A fake OpenAI-compatible model server over real HTTP, for gateway tests and benches: chat
 * completions (plain and SSE streaming, with `stream_options.include_usage`), completions,
 * embeddings and models, with switchable behaviours (slow, failing, hanging, connection reset,
 * stream broken midway, stream held until released).
 */
import { EventEmitter } from 'node:events';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FakeBehavior =
  /** Answer normally, after `delayMs` (default 0). With `holdStream`, a stream sends its first chunk and waits for `release()`. */
  | { readonly kind: 'ok'; readonly delayMs?: number; readonly holdStream?: boolean }
  /** Answer with this status and an OpenAI error body. */
  | { readonly kind: 'status'; readonly status: number }
  /** Accept the request and never answer (until the server closes). */
  | { readonly kind: 'hang' }
  /** Destroy the connection without answering. */
  | { readonly kind: 'reset' }
  /** Stream `afterChunks` chunks, then destroy the connection. */
  | { readonly kind: 'break-stream'; readonly afterChunks: number };

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Record<string, unknown> | undefined;
}

export interface FakeOpenAIOptions {
  /** Appears in generated text (`Hello from <name>`), so tests see who answered. */
  readonly name: string;
  readonly behavior?: FakeBehavior;
  /** Usage reported per request. Default 11 prompt, 7 completion tokens. */
  readonly usage?: { readonly prompt: number; readonly completion: number };
  /** Content chunks of a streamed answer. Default 3. */
  readonly streamChunks?: number;
  /** Record request bodies (default true; benches turn it off). */
  readonly record?: boolean;
}

export interface FakeOpenAI {
  readonly url: string;
  readonly name: string;
  behavior: FakeBehavior;
  readonly requests: RecordedRequest[];
  /** `request` (RecordedRequest) when a request arrives, `responded` (path) when its response ended. */
  readonly events: EventEmitter;
  /** Number of requests answered completely. */
  readonly completed: number;
  /** Lets held streams (`holdStream`) continue. */
  release(): void;
  close(): Promise<void>;
}

export async function startFakeOpenAI(options: FakeOpenAIOptions): Promise<FakeOpenAI> {
  const events = new EventEmitter();
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const usage = options.usage ?? { prompt: 11, completion: 7 };
  const chunks = options.streamChunks ?? 3;
  const record = options.record ?? true;
  let releaseWaiters: Array<() => void> = [];
  let completed = 0;

  const state = {
    behavior: options.behavior ?? ({ kind: 'ok' } as FakeBehavior),
  };

  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      let body: Record<string, unknown> | undefined;
      try {
        body = parts.length > 0 ? (JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown>) : undefined;
      } catch {
        body = undefined;
      }
      const recorded: RecordedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body };
      if (record) requests.push(recorded);
      events.emit('request', recorded);
      res.once('finish', () => {
        completed += 1;
        events.emit('responded', recorded.path);
      });
      void respond(req, res, body, state.behavior);
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.keepAliveTimeout = 65_000;

  const waitRelease = (): Promise<void> => new Promise((resolve) => releaseWaiters.push(resolve));

  async function respond(req: IncomingMessage, res: ServerResponse, body: Record<string, unknown> | undefined, behavior: FakeBehavior): Promise<void> {
    if (behavior.kind === 'hang') return;
    if (behavior.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (behavior.kind === 'status') {
      sendJson(res, behavior.status, { error: { message: `fake ${options.name} failure`, type: 'server_error', param: null, code: 'fake_failure' } });
      return;
    }
    if (behavior.kind === 'ok' && behavior.delayMs) await new Promise((r) => setTimeout(r, behavior.delayMs));
    const path = (req.url ?? '/').split('?')[0];
    const model = typeof body?.model === 'string' ? body.model : 'unknown';
    const created = 1_700_000_000;
    if (req.method === 'GET' && path.endsWith('/v1/models')) {
      sendJson(res, 200, { object: 'list', data: [{ id: model, object: 'model', created, owned_by: 'fake' }] });
      return;
    }
    const usageObject = { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion };
    if (path.endsWith('/v1/embeddings')) {
      const inputs = Array.isArray(body?.input) ? body.input : [body?.input];
      sendJson(res, 200, {
        object: 'list',
        data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: [0.1, 0.2, 0.3, index] })),
        model,
        usage: { prompt_tokens: usage.prompt, total_tokens: usage.prompt },
      });
      return;
    }
    const chat = path.endsWith('/v1/chat/completions');
    if (!chat && !path.endsWith('/v1/completions')) {
      sendJson(res, 404, { error: { message: 'not found', type: 'invalid_request_error', param: null, code: 'not_found' } });
      return;
    }
    const words = Array.from({ length: chunks }, (_, i) => (i === 0 ? 'Hello' : i === chunks - 1 ? ` ${options.name}` : ' from'));
    const text = words.join('');
    if (body?.stream !== true) {
      sendJson(
        res,
        200,
        chat
          ? {
              id: 'chatcmpl-fake',
              object: 'chat.completion',
              created,
              model,
              choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
              usage: usageObject,
            }
          : { id: 'cmpl-fake', object: 'text_completion', created, model, choices: [{ index: 0, text, logprobs: null, finish_reason: 'stop' }], usage: usageObject },
      );
      return;
    }
    const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const base = chat ? { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created, model } : { id: 'cmpl-fake', object: 'text_completion', created, model };
    const extra = includeUsage ? { usage: null } : {};
    const chunkFor = (word: string, finish: string | null): unknown =>
      chat
        ? { ...base, choices: [{ index: 0, delta: finish ? {} : { content: word }, logprobs: null, finish_reason: finish }], ...extra }
        : { ...base, choices: [{ index: 0, text: word, logprobs: null, finish_reason: finish }], ...extra };
    let sent = 0;
    for (const word of words) {
      res.write(`data: ${JSON.stringify(chunkFor(word, null))}\n\n`);
      sent += 1;
      if (behavior.kind === 'break-stream' && sent >= behavior.afterChunks) {
        await new Promise((r) => setTimeout(r, 5));
        req.socket.destroy();
        return;
      }
      if (sent === 1 && behavior.kind === 'ok' && behavior.holdStream) await waitRelease();
      if (res.destroyed) return;
    }
    res.write(`data: ${JSON.stringify(chunkFor('', 'stop'))}\n\n`);
    if (includeUsage) res.write(`data: ${JSON.stringify({ ...base, choices: [], usage: usageObject })}\n\n`);
    res.end('data: [DONE]\n\n');
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    name: options.name,
    get behavior() {
      return state.behavior;
    },
    set behavior(b: FakeBehavior) {
      state.behavior = b;
    },
    requests,
    events,
    get completed() {
      return completed;
    },
    release() {
      const waiters = releaseWaiters;
      releaseWaiters = [];
      for (const w of waiters) w();
    },
    close() {
      return new Promise<void>((resolve) => {
        for (const w of releaseWaiters) w();
        releaseWaiters = [];
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
