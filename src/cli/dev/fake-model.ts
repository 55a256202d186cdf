/**
 * The deterministic fake model of `gaiops dev`: a small OpenAI-protocol server (what a vLLM
 * model-server variant speaks) on 127.0.0.1, so the real gateway has an upstream without GPUs,
 * downloads or network. The same request always gets the same answer:
 *
 * - `POST /v1/chat/completions` — replies `<model> says: <last user message>` (words cut at
 *   `max_completion_tokens` / `max_tokens`, then `finish_reason: "length"`); with `stream: true`
 *   as SSE, one word per chunk, and a final usage chunk when `stream_options.include_usage`;
 * - `POST /v1/completions` — the same for each prompt (`prompt` string, string array or token ids);
 * - `POST /v1/embeddings` — unit vectors (`dimensions`, default 64) expanded from the sha256 of
 *   each input, as float arrays or, with `encoding_format: "base64"`, little-endian float32;
 * - `GET /v1/models`, `GET /v1/models/<id>` — the model ids it was started with.
 *
 * Tokens are counted as whitespace-separated words. Errors use OpenAI's `{ error: {...} }` body.
 */
import { createHash } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Default embedding size. */
export const FAKE_EMBEDDING_DIMENSIONS = 64;
/** Largest `dimensions` accepted. */
export const FAKE_EMBEDDING_MAX_DIMENSIONS = 4096;
/** Largest request body (1 MiB). */
const MAX_BODY_BYTES = 1024 * 1024;
/** `created` of every object: fixed, so answers are byte-identical across runs. */
const CREATED = 1_767_225_600;

export interface FakeModelOptions {
  /** Model ids served (`GET /v1/models`); requests naming another model get 404. */
  readonly models: readonly string[];
  /** Default 0 (a free port). */
  readonly port?: number;
}

export interface FakeModelServer {
  /** e.g. `http://127.0.0.1:41236` (without `/v1`, as a gateway variant's `upstream`). */
  readonly url: string;
  /** Closes the server and every connection. Idempotent. */
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

class FakeModelError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

/** Whitespace-separated words: the fake model's token count. */
export function countTokens(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? 0 : trimmed.split(/\s+/).length;
}

/** The reply words of `model` to `prompt` (before any `max_tokens` cut). */
export function fakeReplyWords(model: string, prompt: string): string[] {
  const said = prompt.trim() === '' ? '(nothing)' : prompt.trim();
  return `${model} says: ${said}`.split(/\s+/);
}

/** A deterministic unit vector of `dimensions` floats from the sha256 of `input`. */
export function fakeEmbedding(input: string, dimensions: number = FAKE_EMBEDDING_DIMENSIONS): number[] {
  const values: number[] = [];
  for (let block = 0; values.length < dimensions; block++) {
    const digest = createHash('sha256').update(`${block}\u0000${input}`, 'utf8').digest();
    for (let i = 0; i + 2 <= digest.length && values.length < dimensions; i += 2) {
      values.push(digest.readUInt16BE(i) / 32767.5 - 1);
    }
  }
  const norm = Math.sqrt(values.reduce((sum, v) => sum + v * v, 0)) || 1;
  // Rounded to float32, so the float and base64 encodings carry the same numbers.
  return values.map((v) => Math.fround(v / norm));
}

/** Starts the fake model on 127.0.0.1. */
export async function startFakeModel(options: FakeModelOptions): Promise<FakeModelServer> {
  if (options.models.length === 0) throw new Error('the fake model needs at least one model id');
  const models = new Set(options.models);
  const server = createServer((req, res) => {
    handle(req, res, models).catch((error: unknown) => {
      const e = error instanceof FakeModelError ? error : new FakeModelError(500, 'internal_error', 'the fake model failed');
      if (!res.headersSent) sendJson(res, e.status, { error: { message: e.message, type: e.status >= 500 ? 'server_error' : 'invalid_request_error', param: e.param, code: e.code } });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, models: ReadonlySet<string>): Promise<void> {
  const path = (req.url ?? '/').split('?')[0].replace(/\/+$/, '');
  const method = req.method ?? 'GET';
  const requestId = req.headers['x-request-id'];
  if (typeof requestId === 'string') res.setHeader('x-request-id', requestId);

  if (path === '/v1/models' || path.startsWith('/v1/models/')) {
    req.resume();
    if (method !== 'GET') throw new FakeModelError(405, 'method_not_allowed', `${method} is not allowed here; use GET`);
    const list = [...models].map((id) => ({ id, object: 'model', created: CREATED, owned_by: 'gaiops-dev' }));
    if (path === '/v1/models') return sendJson(res, 200, { object: 'list', data: list });
    const id = safeDecode(path.slice('/v1/models/'.length));
    const found = list.find((m) => m.id === id);
    if (!found) throw new FakeModelError(404, 'model_not_found', `The model '${id}' does not exist.`, 'model');
    return sendJson(res, 200, found);
  }

  const route = path === '/v1/chat/completions' ? 'chat' : path === '/v1/completions' ? 'completions' : path === '/v1/embeddings' ? 'embeddings' : undefined;
  if (!route) {
    req.resume();
    throw new FakeModelError(404, 'not_found', `No route ${path || '/'}.`);
  }
  if (method !== 'POST') {
    req.resume();
    throw new FakeModelError(405, 'method_not_allowed', `${method} is not allowed here; use POST`);
  }
  const body = await readJson(req);
  const model = body.model;
  if (typeof model !== 'string' || model === '') throw new FakeModelError(400, 'invalid_request', 'model: Required', 'model');
  if (!models.has(model)) throw new FakeModelError(404, 'model_not_found', `The model '${model}' does not exist.`, 'model');

  if (route === 'embeddings') return sendJson(res, 200, embeddings(model, body));

  const prompts = route === 'chat' ? [lastUserText(body.messages)] : promptTexts(body.prompt);
  const limit = maxTokens(body);
  const answers = prompts.map((prompt) => {
    const words = fakeReplyWords(model, prompt);
    const cut = limit !== undefined && words.length > limit;
    return { words: cut ? words.slice(0, limit) : words, finish: cut ? 'length' : 'stop', promptTokens: countTokens(prompt) };
  });
  const promptTokens = route === 'chat' ? countChatTokens(body.messages) : answers.reduce((n, a) => n + a.promptTokens, 0);
  const completionTokens = answers.reduce((n, a) => n + a.words.length, 0);
  const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
  const id = `${route === 'chat' ? 'chatcmpl' : 'cmpl'}-${createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 24)}`;

  if (body.stream !== true) {
    const choices = answers.map((a, index) =>
      route === 'chat'
        ? { index, message: { role: 'assistant', content: a.words.join(' '), refusal: null }, logprobs: null, finish_reason: a.finish }
        : { index, text: a.words.join(' '), logprobs: null, finish_reason: a.finish },
    );
    return sendJson(res, 200, { id, object: route === 'chat' ? 'chat.completion' : 'text_completion', created: CREATED, model, choices, usage });
  }

  const includeUsage = (body.stream_options as { include_usage?: unknown } | null | undefined)?.include_usage === true;
  const base = { id, object: route === 'chat' ? 'chat.completion.chunk' : 'text_completion', created: CREATED, model };
  const usageField = includeUsage ? { usage: null } : {};
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  const send = (chunk: unknown): void => {
    res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  };
  for (const [index, answer] of answers.entries()) {
    if (route === 'chat') send({ ...base, choices: [{ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }], ...usageField });
    for (const [i, word] of answer.words.entries()) {
      const text = i === 0 ? word : ` ${word}`;
      send({ ...base, choices: [route === 'chat' ? { index, delta: { content: text }, logprobs: null, finish_reason: null } : { index, text, logprobs: null, finish_reason: null }], ...usageField });
    }
    send({ ...base, choices: [route === 'chat' ? { index, delta: {}, logprobs: null, finish_reason: answer.finish } : { index, text: '', logprobs: null, finish_reason: answer.finish }], ...usageField });
  }
  if (includeUsage) send({ ...base, choices: [], usage });
  res.end('data: [DONE]\n\n');
}

function embeddings(model: string, body: Json): Json {
  const input = body.input;
  const inputs: string[] =
    typeof input === 'string'
      ? [input]
      : Array.isArray(input) && input.length > 0 && input.every((v) => typeof v === 'string')
        ? (input as string[])
        : Array.isArray(input) && input.length > 0 && input.every((v) => Number.isSafeInteger(v))
          ? [JSON.stringify(input)]
          : Array.isArray(input) && input.length > 0 && input.every((v) => Array.isArray(v) && v.every((t) => Number.isSafeInteger(t)))
            ? input.map((v) => JSON.stringify(v))
            : [];
  if (inputs.length === 0) throw new FakeModelError(400, 'invalid_request', 'input: must be a string, an array of strings or token ids', 'input');
  const dimensions = body.dimensions ?? FAKE_EMBEDDING_DIMENSIONS;
  if (typeof dimensions !== 'number' || !Number.isInteger(dimensions) || dimensions < 1 || dimensions > FAKE_EMBEDDING_MAX_DIMENSIONS) {
    throw new FakeModelError(400, 'invalid_request', `dimensions: must be an integer from 1 to ${FAKE_EMBEDDING_MAX_DIMENSIONS}`, 'dimensions');
  }
  const format = body.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64') throw new FakeModelError(400, 'invalid_request', 'encoding_format: must be "float" or "base64"', 'encoding_format');
  const data = inputs.map((text, index) => {
    const vector = fakeEmbedding(text, dimensions);
    const embedding = format === 'float' ? vector : Buffer.from(new Float32Array(vector).buffer).toString('base64');
    return { object: 'embedding', index, embedding };
  });
  const tokens = inputs.reduce((n, text) => n + Math.max(1, countTokens(text)), 0);
  return { object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
}

/** Text of the last `user` message (string content, or the text parts of an array content). */
function lastUserText(messages: unknown): string {
  if (!Array.isArray(messages) || messages.length === 0) throw new FakeModelError(400, 'invalid_request', 'messages: Required', 'messages');
  const users = messages.filter((m): m is Json => typeof m === 'object' && m !== null && (m as Json).role === 'user');
  return users.length === 0 ? '' : contentText(users[users.length - 1].content);
}

function countChatTokens(messages: unknown): number {
  return (messages as Json[]).reduce((n, m) => n + countTokens(contentText(m?.content)), 0);
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (typeof part === 'object' && part !== null && typeof (part as Json).text === 'string' ? ((part as Json).text as string) : ''))
      .filter((t) => t !== '')
      .join(' ');
  }
  return '';
}

function promptTexts(prompt: unknown): string[] {
  if (typeof prompt === 'string') return [prompt];
  if (Array.isArray(prompt) && prompt.length > 0 && prompt.every((p) => typeof p === 'string')) return prompt as string[];
  if (Array.isArray(prompt) && prompt.every((p) => Number.isSafeInteger(p))) return [prompt.join(' ')];
  if (Array.isArray(prompt) && prompt.every((p) => Array.isArray(p))) return (prompt as unknown[][]).map((p) => p.join(' '));
  throw new FakeModelError(400, 'invalid_request', 'prompt: must be a string, an array of strings or token ids', 'prompt');
}

function maxTokens(body: Json): number | undefined {
  const value = body.max_completion_tokens ?? body.max_tokens;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    const param = body.max_completion_tokens !== undefined ? 'max_completion_tokens' : 'max_tokens';
    throw new FakeModelError(400, 'invalid_request', `${param}: must be a positive integer`, param);
  }
  return value;
}

function readJson(req: IncomingMessage): Promise<Json> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) return reject(new FakeModelError(413, 'payload_too_large', `Request body exceeds ${MAX_BODY_BYTES} bytes.`));
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return reject(new FakeModelError(400, 'invalid_json', 'The request body is not valid JSON.'));
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        return reject(new FakeModelError(400, 'invalid_request', 'The request body must be a JSON object.'));
      }
      resolve(parsed as Json);
    });
  });
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
