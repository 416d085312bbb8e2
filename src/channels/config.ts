// The channel settings of baton.yaml: `connectors.email` (SMTP) and `connectors.slack`, checked
// when the project loads. `${ENV}` references are resolved before this runs; for Slack,
// SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET in the environment suffice without any settings.
import { z } from 'zod';
import type { Env } from '../project/env.ts';

const smtpObject = z.strictObject({
  host: z.string().min(1),
  port: z.int().min(1).max(65535).default(587),
  /** TLS from the first byte (port 465); otherwise STARTTLS is used when the server offers it. */
  secure: z.boolean().default(false),
  user: z.string().optional(),
  pass: z.string().optional(),
  /** Refuse to send without TLS (STARTTLS required). */
  requireTLS: z.boolean().default(false),
});

const smtpUrl = z
  .string()
  .refine((u) => /^smtps?:\/\/[^/]/i.test(u), 'an SMTP URL like smtp://user:pass@mail.example.com:587');

export const emailSettingsSchema = z.strictObject({
  smtp: z.union([smtpUrl, smtpObject]),
  /** The sender, e.g. `Baton <baton@example.com>`. */
  from: z.string().min(3),
  /** How long a link in an email stays usable, in minutes (default 60). */
  linkMinutes: z
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .default(60),
});
export type EmailSettings = z.infer<typeof emailSettingsSchema>;

export const slackSettingsSchema = z.strictObject({
  /** The bot token (xoxb-…), usually `${SLACK_BOT_TOKEN}`. */
  token: z.string().min(1),
  /** The app's signing secret, usually `${SLACK_SIGNING_SECRET}`. */
  signingSecret: z.string().min(1),
  /** The Web API base URL (default Slack's own, https://slack.com/api/). */
  apiUrl: z.url().optional(),
});
export type SlackSettings = z.infer<typeof slackSettingsSchema>;

export interface ChannelSettings {
  email?: EmailSettings;
  slack?: SlackSettings;
}

export interface SettingsProblem {
  /** Path under baton.yaml, e.g. ['connectors', 'email', 'from']. */
  path: Array<string | number>;
  issues?: z.ZodError;
  message?: string;
}

/**
 * Reads the channel settings from the (env-resolved) connectors. Problems are returned with the
 * path of the field, for the caller to report with file and line.
 */
export function channelSettings(
  connectors: Record<string, unknown>,
  env: Env,
  publicUrl: string | undefined,
): { settings: ChannelSettings; problems: SettingsProblem[] } {
  const settings: ChannelSettings = {};
  const problems: SettingsProblem[] = [];
  if (connectors.email !== undefined) {
    const r = emailSettingsSchema.safeParse(connectors.email);
    if (r.success) settings.email = r.data;
    else problems.push({ path: ['connectors', 'email'], issues: r.error });
    if (r.success && !publicUrl) {
      problems.push({
        path: ['server', 'publicUrl'],
        message:
          'email links need server.publicUrl (the address people open, e.g. https://baton.example.com)',
      });
    }
  }
  if (connectors.slack !== undefined) {
    const r = slackSettingsSchema.safeParse(connectors.slack);
    if (r.success) settings.slack = r.data;
    else problems.push({ path: ['connectors', 'slack'], issues: r.error });
  } else if (env.SLACK_BOT_TOKEN && env.SLACK_SIGNING_SECRET) {
    settings.slack = { token: env.SLACK_BOT_TOKEN, signingSecret: env.SLACK_SIGNING_SECRET };
  }
  if (publicUrl !== undefined && !/^https?:\/\/[^/]/i.test(publicUrl)) {
    problems.push({
      path: ['server', 'publicUrl'],
      message: 'expected an http(s) URL like https://baton.example.com',
    });
  }
  return { settings, problems };
}

/**
 * The nodemailer SMTP options of the settings. Timeouts keep a stalled server from holding a
 * notice past its lease.
 */
export function smtpTransport(s: EmailSettings): Record<string, unknown> {
  const timeouts = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };
  if (typeof s.smtp === 'string') return { url: s.smtp, ...timeouts };
  const { host, port, secure, user, pass, requireTLS } = s.smtp;
  return {
    host,
    port,
    secure,
    requireTLS,
    ...(user !== undefined ? { auth: { user, pass: pass ?? '' } } : {}),
    ...timeouts,
  };
}
