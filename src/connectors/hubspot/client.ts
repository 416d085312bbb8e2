// Wiring of @hubspot/api-client. The SDK takes no abort signal and no timeout, so every call gets
// its own Client over its own http Agent: aborting the call's signal destroys that agent's
// sockets (the SDK's request then fails), and an answer past MAX_ANSWER_BYTES is cut off the same
// way. The SDK's own retries (numberOfApiCallRetries) stay off: the framework retries reads, and
// the engine decides about writes, so one retry policy counts the attempts.
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { Client } from '@hubspot/api-client';
import { isBatonError } from '../../core/errors.ts';
import { sdkFailure } from '../failure.ts';

/** The largest answer read from HubSpot (a search page of 100 records is far below it). */
export const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

export interface HubSpotSettings {
  token: string;
  basePath: string;
}

/** HubSpot-defined association type ids (engagement → record), from HubSpot's associations v4 list. */
export const ASSOCIATION_TYPES = {
  tasks: { contact: 204, company: 192, deal: 216 },
  notes: { contact: 202, company: 190, deal: 214 },
} as const;

export type RecordType = 'company' | 'contact' | 'deal';

/** An agent whose sockets die with the signal or with an oversized answer. */
function callAgent(basePath: string, signal: AbortSignal): { agent: http.Agent; release: () => void } {
  const agent = new URL(basePath).protocol === 'https:' ? new https.Agent() : new http.Agent();
  const create = agent.createConnection.bind(agent);
  agent.createConnection = (options, callback): Duplex | null | undefined => {
    const socket = create(options, callback);
    let seen = 0;
    socket?.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > MAX_ANSWER_BYTES)
        socket.destroy(new Error(`HubSpot's answer is larger than ${MAX_ANSWER_BYTES} bytes`));
    });
    return socket;
  };
  const onAbort = (): void => agent.destroy();
  signal.addEventListener('abort', onAbort, { once: true });
  return {
    agent,
    release: () => {
      signal.removeEventListener('abort', onAbort);
      agent.destroy();
    },
  };
}

/**
 * Runs one SDK call under the signal: it rejects with the signal's reason as soon as the signal
 * aborts (the sockets are destroyed with it), whatever the SDK does with the broken request.
 * An HTTP error is classified here (`what` names the call), so the framework's read retries see
 * a 4xx as final and wait a 429's Retry-After.
 */
export async function withHubSpot<T>(
  settings: HubSpotSettings,
  what: string,
  signal: AbortSignal,
  call: (client: Client) => Promise<T>,
): Promise<T> {
  signal.throwIfAborted();
  const { agent, release } = callAgent(settings.basePath, signal);
  const client = new Client({ accessToken: settings.token, basePath: settings.basePath, httpAgent: agent });
  let onAbort = (): void => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([call(client), aborted]);
  } catch (e) {
    throw sdkFailure(`hubspot: ${what}`, e);
  } finally {
    signal.removeEventListener('abort', onAbort);
    release();
  }
}

/** The HTTP status of a failed call, if it got an answer. */
export const statusOf = (e: unknown): number | undefined => {
  const status = isBatonError(e) ? e.context.status : undefined;
  return typeof status === 'number' ? status : undefined;
};
