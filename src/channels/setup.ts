// The channels a project configures, built once per process: email (SMTP) when
// `connectors.email` is set, Slack when `connectors.slack` (or its environment variables) is.
import type { Project } from '../project/load.ts';
import type { Store } from '../store/port.ts';
import { EmailChannel } from '../connectors/email/channel.ts';
import { SlackChannel } from '../connectors/slack/channel.ts';
import { LinkIssuer } from './links.ts';
import type { Channel } from './port.ts';

export function openChannels(project: Project, store: Store): Channel[] {
  const out: Channel[] = [];
  const { slack, email } = project.channels;
  if (slack) out.push(new SlackChannel(slack));
  if (email && project.def.server.publicUrl) {
    out.push(new EmailChannel(email, new LinkIssuer(store, project.def.server.publicUrl, email.linkMinutes)));
  }
  return out;
}

export function closeChannels(channels: readonly Channel[]): void {
  for (const c of channels) (c as { close?: () => void }).close?.();
}
