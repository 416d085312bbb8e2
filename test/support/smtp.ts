// A real SMTP server for tests (`smtp-server`), keeping every message it accepts, parsed with
// mailparser. STARTTLS is off: the package's built-in certificate has expired.
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';

export interface TestSmtp {
  port: number;
  url: string;
  messages: ParsedMail[];
  /** Refuse the next messages with this SMTP code (e.g. 451 for a temporary failure). */
  refuseNext(code: number, count?: number): void;
  close(): Promise<void>;
}

export async function startSmtp(): Promise<TestSmtp> {
  const messages: ParsedMail[] = [];
  let refuse: { code: number; left: number } | undefined;
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (refuse && refuse.left > 0) {
          refuse.left--;
          const err = Object.assign(new Error('try again later'), { responseCode: refuse.code });
          callback(err);
          return;
        }
        simpleParser(Buffer.concat(chunks))
          .then((m) => {
            messages.push(m);
            callback();
          })
          .catch((e: Error) => callback(e));
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    refuseNext: (code, count = 1) => (refuse = { code, left: count }),
    close: () => new Promise((r) => server.close(() => r())),
  };
}
