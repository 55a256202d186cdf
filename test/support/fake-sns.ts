/**
 * A small SNS test server speaking the SNS Query API (the protocol `@aws-sdk/client-sns` uses:
 * form-encoded POSTs with `Action=…&Version=2010-03-31`, XML responses), on 127.0.0.1 with a random
 * port. It implements `CreateTopic`, `Publish` and `ListTopics`, enforces SNS's documented Publish
 * rules that matter to callers (topic must exist, message non-empty and ≤ 256 KiB, subject ≤ 100
 * printable ASCII characters without line breaks, SigV4 `Authorization` header present) and
 * records every published message for assertions. No SDK mocks.
 */
import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SNSClient } from '@aws-sdk/client-sns';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';
const MAX_MESSAGE_BYTES = 256 * 1024;

export interface PublishedMessage {
  readonly messageId: string;
  readonly topicArn: string;
  readonly subject: string | undefined;
  readonly message: string;
}

export interface FakeSns {
  readonly endpoint: string;
  /** Messages published so far, oldest first. */
  readonly published: readonly PublishedMessage[];
  /** Creates a topic and returns its ARN. */
  createTopic(name: string): string;
  client(): SNSClient;
  close(): Promise<void>;
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

class SnsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the server. */
export async function startFakeSns(): Promise<FakeSns> {
  const topics = new Set<string>();
  const published: PublishedMessage[] = [];
  const arnOf = (name: string) => `arn:aws:sns:${REGION}:${ACCOUNT}:${name}`;

  const handle = (params: URLSearchParams): string => {
    const action = params.get('Action');
    const requestId = randomUUID();
    const wrap = (result: string) =>
      `<?xml version="1.0"?><${action}Response xmlns="${XMLNS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
    switch (action) {
      case 'CreateTopic': {
        const name = params.get('Name') ?? '';
        if (!/^[A-Za-z0-9_-]{1,256}$/.test(name)) throw new SnsError(400, 'InvalidParameter', 'Invalid parameter: Topic Name');
        topics.add(arnOf(name));
        return wrap(`<TopicArn>${xmlEscape(arnOf(name))}</TopicArn>`);
      }
      case 'ListTopics':
        return wrap(`<Topics>${[...topics].map((t) => `<member><TopicArn>${xmlEscape(t)}</TopicArn></member>`).join('')}</Topics>`);
      case 'Publish': {
        const topicArn = params.get('TopicArn');
        if (!topicArn) throw new SnsError(400, 'InvalidParameter', 'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter');
        if (!topics.has(topicArn)) throw new SnsError(404, 'NotFound', 'Topic does not exist');
        const message = params.get('Message');
        if (message === null || message.length === 0) throw new SnsError(400, 'InvalidParameter', 'Invalid parameter: Empty message');
        if (Buffer.byteLength(message, 'utf8') > MAX_MESSAGE_BYTES) throw new SnsError(400, 'InvalidParameter', 'Invalid parameter: Message too long');
        const subject = params.get('Subject') ?? undefined;
        if (subject !== undefined && (subject.length === 0 || subject.length > 100 || !/^[\x20-\x7e]+$/.test(subject))) {
          throw new SnsError(400, 'InvalidParameter', 'Invalid parameter: Subject');
        }
        const messageId = randomUUID();
        published.push({ messageId, topicArn, subject, message });
        return wrap(`<MessageId>${messageId}</MessageId>`);
      }
      default:
        throw new SnsError(400, 'InvalidAction', `The action ${action ?? '(none)'} is not valid for this endpoint.`);
    }
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      try {
        if (req.method !== 'POST') throw new SnsError(405, 'InvalidAction', 'Only POST is supported');
        if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 ')) throw new SnsError(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
        const body = await readBody(req);
        const xml = handle(new URLSearchParams(body));
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(xml);
      } catch (error) {
        const e = error instanceof SnsError ? error : new SnsError(500, 'InternalError', 'internal error');
        res.writeHead(e.status, { 'content-type': 'text/xml' });
        res.end(
          `<?xml version="1.0"?><ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${e.code}</Code><Message>${xmlEscape(e.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
        );
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: SNSClient[] = [];
  return {
    endpoint,
    published,
    createTopic(name) {
      topics.add(arnOf(name));
      return arnOf(name);
    },
    client() {
      const c = new SNSClient({ endpoint, region: REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
      clients.push(c);
      return c;
    },
    async close() {
      clients.forEach((c) => c.destroy());
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}
