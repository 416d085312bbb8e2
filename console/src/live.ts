// Live updates: one EventSource on /v1/stream for the whole console (the browser sends the
// session cookie; EventSource reconnects by itself). Pages subscribe with useLive and get each
// `handoff` event as it arrives, and `null` each time the stream opens: a change committed
// before it opened (after the page's first read) or while it reconnected was not sent, so the
// page reads again. `useLiveStatus` says whether the stream is connected.
import { useEffect, useRef, useSyncExternalStore } from 'react';
import type { StreamEvent } from './api/types.ts';

/** A handoff's change, or null: the stream (re)opened and changes may have been missed. */
export type LiveChange = StreamEvent | null;
type Listener = (e: LiveChange) => void;

const listeners = new Set<Listener>();
const statusListeners = new Set<() => void>();
let source: EventSource | null = null;
let connected = false;

function setConnected(v: boolean): void {
  if (connected === v) return;
  connected = v;
  for (const l of statusListeners) l();
}

function open(): void {
  if (source || typeof EventSource === 'undefined') return;
  source = new EventSource('/v1/stream', { withCredentials: true });
  source.addEventListener('open', () => {
    setConnected(true);
    for (const l of listeners) l(null);
  });
  source.addEventListener('error', () => setConnected(source?.readyState === EventSource.OPEN));
  source.addEventListener('handoff', (msg) => {
    let e: StreamEvent;
    try {
      e = JSON.parse((msg as MessageEvent<string>).data) as StreamEvent;
    } catch {
      return;
    }
    for (const l of listeners) l(e);
  });
}

function closeIfUnused(): void {
  if (listeners.size > 0 || !source) return;
  source.close();
  source = null;
  setConnected(false);
}

/** Calls `onEvent` for every handoff change (null: read again) while the component is mounted. */
export function useLive(onEvent: Listener): void {
  const ref = useRef(onEvent);
  ref.current = onEvent;
  useEffect(() => {
    const l: Listener = (e) => ref.current(e);
    listeners.add(l);
    open();
    return () => {
      listeners.delete(l);
      // Let a page that mounts next take the stream over instead of reconnecting.
      setTimeout(closeIfUnused, 1000);
    };
  }, []);
}

export function useLiveStatus(): boolean {
  return useSyncExternalStore(
    (cb) => {
      statusListeners.add(cb);
      return () => statusListeners.delete(cb);
    },
    () => connected,
  );
}
