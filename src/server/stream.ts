// Live updates over server-sent events: one `handoff` event per commit the engine makes durable.
// One engine listener serves every client; it is attached while at least one client listens.
import type { ServerResponse } from 'node:http';
import type { CommitSource } from '../service/api.ts';
import type { HandoffCommit } from '../store/port.ts';

/** A client that stops reading is dropped rather than buffered without bound. */
const MAX_BUFFERED = 1024 * 1024;

interface Client {
  res: ServerResponse;
  flow: string | undefined;
  /** Frames of this turn of the event loop, written together (one socket write, not one each). */
  pending: string;
}

export class StreamHub {
  private readonly engine: CommitSource;
  private readonly heartbeatMs: number;
  private readonly clients = new Set<Client>();
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly onCommit = (commit: HandoffCommit): void => this.broadcast(commit);

  constructor(engine: CommitSource, heartbeatMs: number) {
    this.engine = engine;
    this.heartbeatMs = heartbeatMs;
  }

  get size(): number {
    return this.clients.size;
  }

  /** Streams to `res` (headers already sent) until it closes; returns the clean-up. */
  add(res: ServerResponse, flow: string | undefined): () => void {
    const client: Client = { res, flow, pending: '' };
    this.clients.add(client);
    if (this.clients.size === 1) {
      this.engine.on('committed', this.onCommit);
      this.heartbeat = setInterval(() => this.ping(), this.heartbeatMs);
      this.heartbeat.unref();
    }
    let removed = false;
    const remove = (): void => {
      if (removed) return;
      removed = true;
      this.clients.delete(client);
      if (this.clients.size === 0) this.detach();
    };
    res.once('close', remove);
    return remove;
  }

  /** Ends every stream (server shutdown). */
  closeAll(): void {
    for (const c of [...this.clients]) c.res.end(c.pending || undefined);
    this.clients.clear();
    this.detach();
  }

  private detach(): void {
    this.engine.off('committed', this.onCommit);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  private broadcast(commit: HandoffCommit): void {
    const h = commit.handoff;
    const frame = `event: handoff\ndata: ${JSON.stringify({
      id: h.id,
      flow: h.flow,
      state: h.state,
      owner: h.owner,
      events: commit.events.map((e) => e.type),
      updatedAt: new Date(h.updatedAt).toISOString(),
    })}\n\n`;
    for (const c of this.clients) if (c.flow === undefined || c.flow === h.flow) this.send(c, frame);
  }

  private ping(): void {
    for (const c of this.clients) this.send(c, `: ping ${new Date().toISOString()}\n\n`);
  }

  private send(c: Client, frame: string): void {
    if (c.res.destroyed || c.res.writableEnded) return;
    if (c.res.writableLength + c.pending.length > MAX_BUFFERED) {
      c.res.destroy();
      return;
    }
    c.pending += frame;
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(this.flush);
    }
  }

  private flushing = false;
  private readonly flush = (): void => {
    this.flushing = false;
    for (const c of this.clients) {
      if (!c.pending) continue;
      const text = c.pending;
      c.pending = '';
      if (!c.res.destroyed && !c.res.writableEnded) c.res.write(text);
    }
  };
}
