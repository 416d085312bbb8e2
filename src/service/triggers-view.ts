// Which triggers of each flow are live, where each listens, and when it last fired (SPEC §5
// `GET /v1/flows/{flow}`, `baton flows`). A trigger is live when what it needs is configured: the
// SMTP listener or the IMAP mailbox for email, Slack's settings, the connector of a vendor
// webhook; a schedule is live wherever a worker runs.
import type { ErrorDetail } from '../core/errors.ts';
import type { CompiledFlow } from '../flow/compiled.ts';
import { YamlSource } from '../flow/yaml-source.ts';
import { hookConnector } from '../intake/intake.ts';
import type { Project } from '../project/load.ts';
import type { ScheduleRow, TriggerFireRow } from '../store/intake-store.ts';

export interface TriggerView {
  /** webhook | manual | email | slack | schedule | webhooks.CONNECTOR */
  trigger: string;
  live: boolean;
  /** Where it listens or what it waits for, or why it is not live. */
  where: string;
  lastFiredAt?: string;
  lastOutcome?: string;
  /** Deliveries that made or found a handoff or a comment, and ones kept as failed (not counted for webhook and manual intake: see the metrics). */
  fired?: number;
  failed?: number;
  /** Schedules: the next slot due. */
  nextAt?: string;
}

interface IntakeSettings {
  smtp?: { host?: string; port?: number };
  imap?: Array<{ name: string }>;
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

export function triggerViews(
  project: Project,
  flow: CompiledFlow,
  fires: readonly TriggerFireRow[],
  schedule: ScheduleRow | undefined,
): TriggerView[] {
  const t = flow.def.trigger;
  const id = flow.def.id;
  const intake = (project.def as { intake?: IntakeSettings }).intake ?? {};
  const fired = (name: string) => {
    const f = fires.find((x) => x.flow === id && x.trigger === name);
    return f
      ? { lastFiredAt: iso(f.lastAt)!, lastOutcome: f.lastOutcome, fired: f.fired, failed: f.failed }
      : { fired: 0, failed: 0 };
  };
  const out: TriggerView[] = [];
  if (t.webhook) out.push({ trigger: 'webhook', live: true, where: `POST /v1/flows/${id}/handoffs` });
  if (t.manual)
    out.push({ trigger: 'manual', live: true, where: 'baton send (a person hands the work over)' });
  if (t.email) {
    const parts: string[] = [];
    let live = false;
    if (t.email.to) {
      const smtp = intake.smtp;
      live ||= !!smtp;
      parts.push(
        smtp
          ? `smtp ${smtp.host ?? '127.0.0.1'}:${smtp.port ?? 25} for ${t.email.to.join(', ')}`
          : `smtp for ${t.email.to.join(', ')} (not listening: baton.yaml has no intake.smtp)`,
      );
    }
    if (t.email.imap) {
      const known = intake.imap?.some((m) => m.name === t.email!.imap);
      live ||= !!known;
      parts.push(known ? `imap ${t.email.imap}` : `imap ${t.email.imap} (not configured in intake.imap)`);
    }
    out.push({ trigger: 'email', live, where: parts.join('; '), ...fired('email') });
  }
  if (t.slack) {
    const live = !!project.channels.slack;
    const on = t.slack.on.join(', ');
    out.push({
      trigger: 'slack',
      live,
      where: live
        ? `${on} in ${t.slack.channels.join(', ')} (POST /v1/intake/slack/events)`
        : `${on} in ${t.slack.channels.join(', ')} (not live: Slack is not configured)`,
      ...fired('slack'),
    });
  }
  if (t.schedule) {
    const s = t.schedule;
    out.push({
      trigger: 'schedule',
      live: true,
      where: `cron ${s.cron} (${s.timezone})${s.query ? `, one handoff per row of ${s.query.use}` : ''}`,
      ...fired('schedule'),
      ...(schedule ? { nextAt: iso(schedule.nextAt)! } : {}),
    });
  }
  for (const name of Object.keys(t.webhooks ?? {})) {
    const live = project.connectors.some((c) => c.name === name);
    out.push({
      trigger: `webhooks.${name}`,
      live,
      where: live
        ? `POST /v1/intake/${name}/${id}`
        : `POST /v1/intake/${name}/${id} (not live: no connector ${name})`,
      ...fired(`webhooks.${name}`),
    });
  }
  return out;
}

/** Triggers declared but not live (their listener, mailbox, Slack or connector is not configured): `baton validate` warns. */
export function offTriggerWarnings(project: Project): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  for (const f of project.flows.values()) {
    const src = new YamlSource(f.source, f.file);
    for (const t of triggerViews(project, f, [], undefined)) {
      if (t.live) continue;
      const hook = hookConnector(t.trigger);
      const at = hook === undefined ? ['trigger', t.trigger] : ['trigger', 'webhooks', hook];
      out.push(src.detail(at, `this trigger is off: ${t.where}`));
    }
  }
  return out;
}
