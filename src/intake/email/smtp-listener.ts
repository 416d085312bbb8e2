// The built-in SMTP listener (smtp-server): mail for a recipient some flow's `trigger.email.to`
// lists becomes one delivery per flow it names. It refuses an unknown recipient (550, naming
// nothing), a mail over `maxBytes` (552, and the headers and first 64 KB go to the dead-letter
// list as too_large), and answers 451 when the store cannot take the mail, so the sender retries.
// A mail that cannot become a handoff (broken MIME, a map failure) is accepted: it is kept in the
// dead-letter list, where it can be replayed. STARTTLS is offered only with a configured key.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { SmtpIntakeDef } from '../../core/project-schema.ts';
import type { Delivery, DeliveryResult } from '../port.ts';
import { headersOf, KEEP_WHEN_TOO_LARGE, mailKey, mailPayload } from './raw-mail.ts';
import type { MailRoutes } from './routes.ts';

export interface SmtpListenerDeps {
  settings: SmtpIntakeDef;
  /** Where relative key and certificate paths are read from (the project folder). */
  dir: string;
  routes(): MailRoutes;
  deliver(d: Delivery): Promise<DeliveryResult>;
  log(line: string): void;
}

const smtpError = (code: number, message: string): Error =>
  Object.assign(new Error(message), { responseCode: code });

/** Reads the DATA stream: all of it up to `max`, only the first 64 KB once it is over. */
function readMail(
  stream: SMTPServerDataStream,
  max: number,
): Promise<{ bytes: Buffer; size: number; over: boolean }> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let size = 0;
    stream.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= max) {
        chunks.push(c);
        kept += c.length;
      } else if (kept < KEEP_WHEN_TOO_LARGE) {
        const part = c.subarray(0, KEEP_WHEN_TOO_LARGE - kept);
        chunks.push(part);
        kept += part.length;
      }
    });
    stream.on('error', fail);
    stream.on('end', () =>
      done({ bytes: Buffer.concat(chunks), size, over: stream.sizeExceeded || size > max }),
    );
  });
}

export class SmtpListener {
  readonly #d: SmtpListenerDeps;
  readonly #server: SMTPServer;
  #url = '';

  constructor(deps: SmtpListenerDeps) {
    this.#d = deps;
    const tls = deps.settings.tls;
    this.#server = new SMTPServer({
      name: 'baton',
      banner: 'Baton mail intake',
      size: deps.settings.maxBytes,
      authOptional: true,
      // The built-in certificate of smtp-server has expired: STARTTLS only with one of our own.
      disabledCommands: tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
      ...(tls
        ? { key: readFileSync(resolve(deps.dir, tls.key)), cert: readFileSync(resolve(deps.dir, tls.cert)) }
        : {}),
      logger: false,
      disableReverseLookup: true,
      onRcptTo: (address, _session, cb) => {
        if (deps.routes().flowFor(address.address)) cb();
        else cb(smtpError(550, '5.1.1 No such recipient here'));
      },
      onData: (stream, session, cb) => {
        this.#onData(stream, session).then(
          (message) => cb(null, message),
          (e: unknown) => cb(e instanceof Error ? e : new Error(String(e))),
        );
      },
    });
    this.#server.on('error', (e) => deps.log(`smtp: ${e.message}`));
  }

  /** Listens; resolves with host:port once it does. */
  listen(): Promise<string> {
    const { port, host } = this.#d.settings;
    return new Promise((done, fail) => {
      const onError = (e: Error): void => fail(e);
      this.#server.server.once('error', onError);
      this.#server.listen(port, host, () => {
        this.#server.server.off('error', onError);
        const a = this.#server.server.address() as AddressInfo;
        this.#url = `${host.includes(':') ? `[${host}]` : host}:${a.port}`;
        done(this.#url);
      });
    });
  }

  get address(): string {
    return this.#url;
  }

  close(): Promise<void> {
    return new Promise((done) => this.#server.close(() => done()));
  }

  async #onData(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string> {
    const { bytes, size, over } = await readMail(stream, this.#d.settings.maxBytes);
    // One delivery per flow; each takes the first of its recipients in the envelope.
    const byFlow = new Map<string, string>();
    const routes = this.#d.routes();
    for (const r of session.envelope.rcptTo) {
      const flow = routes.flowFor(r.address);
      if (flow && !byFlow.has(flow)) byFlow.set(flow, r.address.toLowerCase());
    }
    // A reload between RCPT TO and the end of DATA may have taken every recipient away: not
    // acknowledged, so the sender retries (and then hears 550).
    if (byFlow.size === 0) throw smtpError(451, '4.3.0 Temporary failure, try again later');
    const key = mailKey(bytes, headersOf(bytes));
    try {
      for (const [flow, recipient] of byFlow) {
        const meta = {
          recipient,
          via: 'smtp',
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
        };
        const raw = mailPayload(bytes, meta, { bytes: size, truncated: over });
        const d: Delivery = { flow, trigger: 'email', key, raw };
        if (over)
          d.refused = {
            reason: 'too_large',
            message: `the mail is ${size} bytes, over intake.smtp.maxBytes (${this.#d.settings.maxBytes}); its headers and first 64 KB are kept`,
          };
        // A dead letter is taken too: it is kept, and the sender has nothing to retry.
        await this.#d.deliver(d);
      }
    } catch (e) {
      this.#d.log(
        `smtp: could not take the mail ${key} (${e instanceof Error ? e.message : String(e)}); the sender will retry`,
      );
      throw smtpError(451, '4.3.0 Temporary failure, try again later');
    }
    if (over)
      throw smtpError(552, `5.3.4 Message exceeds the size limit of ${this.#d.settings.maxBytes} bytes`);
    return '2.0.0 Accepted';
  }
}
