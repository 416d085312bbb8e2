// A local HTTP server that speaks the OpenAI Responses and Chat Completions APIs and Anthropic's
// Messages API with scripted answers, so tests run the real SDK, HTTP and parsing paths.
//
//   const server = await startModelServer([{ object: {...} }, { status: 503 }]);
//   env: { OPENAI_BASE_URL: server.url + '/v1', ANTHROPIC_BASE_URL: server.url + '/v1' }
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServerAnswer {
  /** Answer with this JSON value (as the model's text, or the JSON tool's input). */
  object?: unknown;
  /** Answer with this raw text. */
  text?: string;
  /** Answer with this HTTP status and an error body instead. */
  status?: number;
  /** Wait this long before answering. */
  delayMs?: number;
  usage?: { input?: number; output?: number; cached?: number };
}

export interface RecordedRequest {
  api: 'responses' | 'chat' | 'messages';
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

export interface ModelServer {
  url: string;
  requests: RecordedRequest[];
  /** Replaces the script (a list is consumed in order from now; a function sees each request). */
  script(s: ServerScript): void;
  close(): Promise<void>;
}

export type ServerScript = ServerAnswer[] | ((req: RecordedRequest, n: number) => ServerAnswer);

export async function startModelServer(initial: ServerScript = []): Promise<ModelServer> {
  let script = initial;
  let scriptStart = 0;
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const path = req.url ?? '';
      const api = path.endsWith('/responses')
        ? 'responses'
        : path.endsWith('/chat/completions')
          ? 'chat'
          : path.endsWith('/messages')
            ? 'messages'
            : undefined;
      if (!api || req.method !== 'POST') return send(res, 404, { error: { message: `no route ${path}` } });
      const body = JSON.parse(raw || '{}') as Record<string, unknown>;
      const rec: RecordedRequest = { api, path, headers: req.headers, body };
      const n = requests.length - scriptStart;
      requests.push(rec);
      const a = typeof script === 'function' ? script(rec, n) : script[n];
      const answer = a ?? { status: 500 };
      const reply = () => {
        if (answer.status && answer.status >= 400) {
          return send(res, answer.status, {
            error: { message: `scripted ${answer.status}`, type: 'server_error' },
          });
        }
        send(res, 200, reply200(api, body, answer));
      };
      if (answer.delayMs) setTimeout(reply, answer.delayMs);
      else reply();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (s) => {
      script = s;
      scriptStart = requests.length;
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function reply200(api: RecordedRequest['api'], body: Record<string, unknown>, a: ServerAnswer): unknown {
  const text = a.object !== undefined ? JSON.stringify(a.object) : (a.text ?? '');
  const input = a.usage?.input ?? 100;
  const output = a.usage?.output ?? 20;
  const cached = a.usage?.cached ?? 0;
  const model = typeof body.model === 'string' ? body.model : 'model';
  if (api === 'responses') {
    return {
      id: 'resp_1',
      object: 'response',
      created_at: Math.floor(Date.now() / 1000),
      model,
      status: 'completed',
      output: [
        {
          type: 'message',
          id: 'msg_1',
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text, annotations: [] }],
        },
      ],
      usage: {
        input_tokens: input,
        output_tokens: output,
        total_tokens: input + output,
        input_tokens_details: { cached_tokens: cached },
        output_tokens_details: { reasoning_tokens: 0 },
      },
    };
  }
  if (api === 'chat') {
    return {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: input,
        completion_tokens: output,
        total_tokens: input + output,
        prompt_tokens_details: { cached_tokens: cached },
      },
    };
  }
  const tools = Array.isArray(body.tools) ? (body.tools as Array<{ name?: string }>) : [];
  const jsonTool = tools.find((t) => t.name === 'json');
  const content =
    jsonTool && a.object !== undefined
      ? [{ type: 'tool_use', id: 'toolu_1', name: 'json', input: a.object }]
      : [{ type: 'text', text }];
  return {
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: jsonTool ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    // Anthropic counts cache reads apart from input_tokens.
    usage: { input_tokens: input - cached, output_tokens: output, cache_read_input_tokens: cached },
  };
}
