// `baton show ID`: one handoff as a readable page — header, decision, timeline of events,
// ownership ledger, actions and approvals.
import type { Actor } from '../core/types.ts';
import type { HandoffView } from '../service/views.ts';
import { ago, plural, short, since, table, toMs } from './format.ts';
import { oneLine } from './terminal-text.ts';

const actorText = (a: Actor | undefined): string =>
  a ? `${a.kind === 'user' ? '' : `${a.kind}:`}${a.id}${a.via ? ` via ${a.via}` : ''}` : '';

/** A one-line summary of an event's data, with the fields people look for first. */
export function eventSummary(type: string, data: Record<string, unknown>): string {
  const d = { ...data };
  const take = (k: string): unknown => {
    const v = d[k];
    delete d[k];
    return v;
  };
  const parts: string[] = [];
  switch (type) {
    case 'decided': {
      const owner = take('owner');
      const by = take('by');
      const rule = take('rule') as { name?: string; index?: number } | undefined;
      const actions = take('actions') as string[] | undefined;
      parts.push(
        `→ ${short(owner)} by ${short(by)}${rule ? ` "${rule.name ?? `rule ${rule.index}`}"` : ''}` +
          (actions?.length ? `, actions ${actions.join(', ')}` : ''),
      );
      const confidence = take('confidence');
      if (confidence !== undefined) parts.push(`confidence ${short(confidence)}`);
      for (const k of ['reads', 'policyVersions', 'evidence']) take(k);
      break;
    }
    case 'handed_off':
    case 'escalated':
    case 'reassigned':
    case 'declined':
    case 'returned': {
      const from = take('from');
      const to = take('to');
      if (from !== undefined || to !== undefined) parts.push(`${short(from ?? '?')} → ${short(to ?? '?')}`);
      break;
    }
    case 'approval_requested': {
      const levels = take('levels') as Array<{ approvers: string[]; quorum: number }> | undefined;
      parts.push(`${short(take('approval'))} for ${short(take('action'))}`);
      if (levels?.[0]) parts.push(`approvers ${levels[0].approvers.join(', ')} (quorum ${levels[0].quorum})`);
      take('policyVersion');
      break;
    }
    case 'context_built': {
      const sources = take('sources') as Array<{ name?: string }> | undefined;
      if (Array.isArray(sources))
        parts.push(`sources ${sources.map((x) => x.name ?? '?').join(', ') || 'none'}`);
      break;
    }
    case 'received':
      take('flowVersion');
      parts.push(`key ${short(take('idempotencyKey'))}`);
      break;
    case 'commented': {
      const from = take('from');
      parts.push(`${short(take('text'), 100)}${from !== undefined ? ` (from ${short(from)})` : ''}`);
      take('key');
      break;
    }
  }
  if (type.startsWith('action_')) {
    const action = take('action');
    if (action !== undefined) parts.unshift(short(action));
    take('use');
    take('idempotencyKey');
  }
  for (const [k, v] of Object.entries(d)) if (v !== undefined) parts.push(`${k}=${short(v, 60)}`);
  return parts.join('  ');
}

export function renderHandoff(h: HandoffView, now = Date.now()): string {
  const start = toMs(h.createdAt);
  let out = '';
  // Each of these is one line: a newline inside a value (an idempotency key) is shown escaped.
  const line = (s = '') => (out += `${oneLine(s)}\n`);
  const shadow = h.mode === 'shadow';
  line(
    `${h.id}  ${h.flow}  ${h.state}${h.breached ? '  BREACHED' : ''}` +
      (shadow ? '  SHADOW: decided only; nothing was handed off or run' : ''),
  );
  line(`  owner     ${h.owner}`);
  line(`  boundary  ${h.boundary}   mode ${h.mode}   rework ${h.rework}`);
  line(`  created   ${h.createdAt} (${ago(h.createdAt, now)}), updated ${ago(h.updatedAt, now)}`);
  const milestones = (
    [
      ['handed off', h.handedOffAt],
      ['accepted', h.acceptedAt],
      ['completed', h.completedAt],
    ] as const
  ).filter(([, t]) => t !== undefined);
  if (milestones.length)
    line(`  latency   ${milestones.map(([n, t]) => `${n} ${since(t, start)}`).join(', ')}`);
  line(`  key       ${h.idempotencyKey}   flow version ${h.flowVersion.slice(0, 12)}`);
  line(`  input     ${short(h.input, 100)}`);
  if (h.decision) {
    const d = h.decision;
    const rule = d.rule ? ` "${d.rule.name ?? `rule ${d.rule.index}`}" (${d.rule.when})` : '';
    const model = d.model ? ` ${d.model}, confidence ${d.confidence ?? '?'}` : '';
    const corrected = d.overrides ? ` (corrected a ${d.overrides} decision)` : '';
    line(`  decision  ${d.owner} by ${d.by}${rule}${model}${corrected}`);
    if (d.actions.length) line(`            actions ${d.actions.join(', ')}`);
    if (d.rationale) line(`            ${short(d.rationale, 100)}`);
    if (d.evidence?.length) line(`            evidence ${d.evidence.join(', ')}`);
    if (d.untrusted)
      line('            untrusted text in context: outbound and high-risk actions need approval');
  }
  if (shadow)
    line(
      h.observed
        ? `  observed  people routed it to ${h.observed.owner} (${h.observed.agreed ? 'agrees' : 'differs from'} the decision)${h.observed.by ? ` recorded by ${h.observed.by}` : ''} ${ago(h.observed.at, now)}`
        : `  observed  not yet: baton observed ${h.id} --owner OWNER records where people routed it`,
    );
  if (h.costUsd > 0) line(`  cost      $${h.costUsd.toFixed(4)}`);
  if (h.requester) line(`  requester ${h.requester}`);
  if (h.submittedBy && h.submittedBy !== h.requester) line(`  sent by   ${h.submittedBy} (a requester too)`);

  line();
  line(`Timeline (${plural(h.events.length, 'event')})`);
  out += indent(
    table(
      ['', 'AT', 'EVENT', 'BY', 'DETAILS'],
      h.events.map((e) => [
        String(e.seq),
        since(e.at, start),
        e.type,
        actorText(e.actor),
        eventSummary(e.type, e.data),
      ]),
    ),
  );

  line();
  line('Ledger');
  out += indent(
    table(
      ['OWNER', 'FROM', 'TO', 'STATUS', 'BY', 'REASON'],
      h.ledger.map((l) => [
        l.owner,
        since(l.from, start),
        l.to === null ? 'now' : since(l.to, start),
        l.status,
        l.by ?? '',
        l.reason,
      ]),
    ),
  );

  if (h.actions.length) {
    line();
    line('Actions');
    out += indent(
      table(
        ['ACTION', 'USE', 'STATE', 'RISK', 'CALLS', 'DETAILS'],
        h.actions.map((a) => [
          a.id,
          a.use,
          a.state,
          a.risk,
          String(a.calls),
          a.error
            ? `error: ${short(a.error, 60)}`
            : a.state === 'awaiting_approval' && a.approvalId
              ? `approval ${a.approvalId}`
              : a.result === null
                ? ''
                : short(a.result, 60),
        ]),
      ),
    );
  }

  if (h.approvals.length) {
    line();
    line('Approvals');
    out += indent(
      table(
        ['APPROVAL', 'KIND', 'STATE', 'APPROVERS', 'VOTES', 'DECIDED'],
        h.approvals.map((a) => [
          a.id,
          a.kind === 'action' ? `action ${a.actionId ?? ''}` : a.kind,
          a.state,
          a.levels[a.level]?.approvers.join(', ') ?? '',
          a.votes.map((v) => `${v.user}:${v.decision}${v.via ? ` via ${v.via}` : ''}`).join(' ') || '-',
          a.decidedBy
            ? `${a.decidedBy.label}${a.decidedBy.user ? ` ${a.decidedBy.user}` : ''}${a.decidedBy.via ? ` via ${a.decidedBy.via}` : ''} ${since(a.decidedAt, start)}`
            : a.timeoutAt
              ? `times out ${ago(a.timeoutAt, now)}`
              : '',
        ]),
      ),
    );
  }
  if (h.notices?.length) {
    line();
    line('Notices (Slack, email)');
    out += indent(
      table(
        ['KIND', 'TO', 'STATE', 'DELIVERIES'],
        h.notices.map((n) => [
          n.kind,
          n.owner || '-',
          n.attempts > 1 ? `${n.state} (${n.attempts} tries)` : n.state,
          n.deliveries
            .map((d) => `${d.channel}:${d.recipient} ${d.state}${d.error ? ` (${short(d.error, 40)})` : ''}`)
            .join(', ') || '-',
        ]),
      ),
    );
  }
  return out;
}

const indent = (text: string): string =>
  text
    .split('\n')
    .map((l) => (l ? `  ${l}` : l))
    .join('\n');
