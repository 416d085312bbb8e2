// The delivery keys of Slack intake. A message is keyed by where it is (`C…:ts`): Slack's
// retries of its event (same event_id) carry the same message, and a reply in its thread names
// it by `thread_ts`, so the reply finds the handoff the message started. A reaction is keyed by
// Slack's event_id (each reaction is its own event); a message shortcut by who ran which
// shortcut on which message (Slack does not retry interactions; a double click is one handoff).

/** A message's place: channel and ts (a ts is unique within its channel only). */
export const messageRef = (channel: string, ts: string): string => `${channel}:${ts}`;

export const reactionKey = (eventId: string): string => `reaction:${eventId}`;

export const shortcutKey = (callbackId: string, channel: string, messageTs: string, user: string): string =>
  `shortcut:${callbackId}:${channel}:${messageTs}:${user}`;
