// Polls one IMAP mailbox (imapflow) for the flows that name it. Each message not yet processed is
// fetched and delivered, and only once the delivery resolved is it marked processed (a keyword,
// default $Baton, or a move to a folder), so a crash in between redelivers it, which the
// Message-ID key makes the same handoff. IDLE wakes it where the server supports it; it also
// looks every pollMs. A lost connection is retried with capped exponential backoff and jitter.
// A message that cannot be fetched is logged and left alone after a few tries, never looped on.
import { ImapFlow, type FetchMessageObject } from 'imapflow';
import type { ImapMailboxDef } from '../../core/project-schema.ts';
import type { Delivery, DeliveryResult } from '../port.ts';
import { backoffMs } from './backoff.ts';
import { headersOf, KEEP_WHEN_TOO_LARGE, mailKey, mailPayload } from './raw-mail.ts';

export interface ImapPollerDeps {
  mailbox: ImapMailboxDef;
  /** The flows polling this mailbox (read at each pass: a reload may change them). */
  flows(): string[];
  deliver(d: Delivery): Promise<DeliveryResult>;
  log(line: string): void;
  /** Larger messages are kept as too_large (their first 64 KB). */
  maxBytes: number;
  /** Reconnect backoff (tests shorten it). */
  backoff?: { baseMs: number; capMs: number };
}

/** Messages fetched per round trip. */
const BATCH = 100;
/** Tries before a message that cannot be fetched is left alone (until Baton restarts). */
const FETCH_TRIES = 3;

export class ImapPoller {
  readonly #d: ImapPollerDeps;
  #client: ImapFlow | undefined;
  #stopped = false;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  #draining: Promise<void> | undefined;
  #again = false;
  readonly #failedFetches = new Map<number, number>();
  #warned = false;
  /** Delivered since start (for tests and the log). */
  delivered = 0;

  constructor(deps: ImapPollerDeps) {
    this.#d = deps;
  }

  get name(): string {
    return this.#d.mailbox.name;
  }

  start(): void {
    void this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#draining?.catch(() => undefined);
    const c = this.#client;
    this.#client = undefined;
    if (c?.usable) await c.logout().catch(() => c.close());
    else c?.close();
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    const m = this.#d.mailbox;
    const client = new ImapFlow({
      host: m.host,
      port: m.port,
      secure: m.secure,
      auth: { user: m.user, pass: m.password },
      logger: false,
      disableAutoIdle: !m.idle,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
    });
    client.on('error', (e: Error) => this.#d.log(`imap ${m.name}: ${e.message}`));
    client.on('close', () => {
      if (this.#client !== client) return;
      this.#client = undefined;
      this.#retry('the connection closed');
    });
    client.on('exists', () => this.#kick());
    try {
      await client.connect();
      if ('move' in m.processed) await client.mailboxCreate(m.processed.move).catch(() => undefined);
    } catch (e) {
      this.#d.log(`imap ${m.name}: cannot reach ${m.host}:${m.port} (${(e as Error).message})`);
      client.close();
      this.#retry('could not connect');
      return;
    }
    if (this.#stopped) {
      client.close();
      return;
    }
    this.#client = client;
    this.#attempt = 0;
    this.#kick();
  }

  #retry(why: string): void {
    if (this.#stopped) return;
    const b = this.#d.backoff ?? { baseMs: 1000, capMs: 60_000 };
    const wait = backoffMs(this.#attempt++, b.baseMs, b.capMs);
    this.#d.log(`imap ${this.name}: ${why}; connecting again in ${wait} ms`);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#connect(), wait);
  }

  /** Drains now (or once the running pass ends), then waits for IDLE or pollMs. */
  #kick(): void {
    if (this.#stopped) return;
    if (this.#draining) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#draining = (async () => {
      do {
        this.#again = false;
        await this.#drain();
      } while (this.#again && !this.#stopped && this.#client);
    })()
      .catch((e: unknown) => {
        this.#d.log(`imap ${this.name}: ${(e as Error).message}; trying again`);
        // The connection may be half broken: drop it and start over with backoff.
        this.#client?.close();
      })
      .finally(() => {
        this.#draining = undefined;
        if (!this.#stopped && this.#client)
          this.#timer = setTimeout(() => this.#kick(), this.#d.mailbox.pollMs);
      });
  }

  async #drain(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    const m = this.#d.mailbox;
    const lock = await client.getMailboxLock(m.mailbox);
    try {
      // A server that cannot keep the keyword would have every message delivered again at each look.
      const permanent = client.mailbox ? client.mailbox.permanentFlags : undefined;
      if ('flag' in m.processed && permanent && !permanent.has('\\*') && !permanent.has(m.processed.flag)) {
        if (!this.#warned)
          this.#d.log(
            `imap ${m.name}: the server does not keep the keyword ${m.processed.flag} in ${m.mailbox}; nothing is taken (use processed: { move: FOLDER })`,
          );
        this.#warned = true;
        return;
      }
      const query = 'flag' in m.processed ? { unKeyword: m.processed.flag } : { all: true };
      const found = (await client.search(query, { uid: true })) || [];
      const uids = found.filter((u) => (this.#failedFetches.get(u) ?? 0) < FETCH_TRIES);
      for (let i = 0; i < uids.length && !this.#stopped; i += BATCH) {
        await this.#batch(client, uids.slice(i, i + BATCH));
      }
    } finally {
      lock.release();
    }
  }

  async #batch(client: ImapFlow, uids: number[]): Promise<void> {
    const sizes = await client.fetchAll(uids.join(','), { uid: true, size: true }, { uid: true });
    const small = sizes.filter((s) => (s.size ?? 0) <= this.#d.maxBytes).map((s) => s.uid);
    const large = sizes.filter((s) => (s.size ?? 0) > this.#d.maxBytes);
    const msgs: Array<{ uid: number; source: Buffer; size: number; over: boolean }> = [];
    const take = (list: FetchMessageObject[], over: boolean): void => {
      for (const f of list)
        if (f.source) msgs.push({ uid: f.uid, source: f.source, size: f.size ?? f.source.length, over });
    };
    const fetchSource = (range: string, over: boolean) =>
      client.fetchAll(
        range,
        { uid: true, size: true, source: over ? { start: 0, maxLength: KEEP_WHEN_TOO_LARGE } : true },
        { uid: true },
      );
    try {
      if (small.length) take(await fetchSource(small.join(','), false), false);
    } catch (e) {
      if (!client.usable) throw e;
      // The server refused the batch: one at a time, so one bad message cannot hold up the rest.
      for (const uid of small) take(await fetchSource(String(uid), false).catch(() => []), false);
    }
    for (const l of large) take(await fetchSource(String(l.uid), true).catch(() => []), true);
    const got = new Set(msgs.map((x) => x.uid));
    for (const uid of uids)
      if (sizes.some((s) => s.uid === uid) && !got.has(uid)) {
        const n = (this.#failedFetches.get(uid) ?? 0) + 1;
        this.#failedFetches.set(uid, n);
        this.#d.log(
          `imap ${this.name}: message uid ${uid} could not be fetched (try ${n} of ${FETCH_TRIES})`,
        );
      }

    const done: number[] = [];
    const flows = this.#d.flows();
    // Delivered before marked: a store failure throws here and leaves the rest unprocessed.
    try {
      await Promise.all(
        msgs.map(async (msg) => {
          for (const flow of flows) await this.#d.deliver(this.#delivery(flow, msg));
          done.push(msg.uid);
        }),
      );
    } finally {
      await this.#markProcessed(client, done);
    }
  }

  #delivery(flow: string, msg: { source: Buffer; size: number; over: boolean }): Delivery {
    const d: Delivery = {
      flow,
      trigger: 'email',
      key: mailKey(msg.source, headersOf(msg.source)),
      raw: mailPayload(
        msg.source,
        { recipient: this.#d.mailbox.user, via: `imap:${this.name}` },
        { bytes: msg.size, truncated: msg.over },
      ),
    };
    if (msg.over)
      d.refused = {
        reason: 'too_large',
        message: `the message is ${msg.size} bytes, over the limit of ${this.#d.maxBytes}; its first 64 KB are kept`,
      };
    return d;
  }

  async #markProcessed(client: ImapFlow, uids: number[]): Promise<void> {
    if (uids.length === 0 || !client.usable) return;
    const range = uids.join(',');
    const p = this.#d.mailbox.processed;
    if ('flag' in p) await client.messageFlagsAdd(range, [p.flag], { uid: true });
    else await client.messageMove(range, p.move, { uid: true });
    this.delivered += uids.length;
  }
}
