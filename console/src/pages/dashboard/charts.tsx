// The dashboard's figures, one chart each, in the order a lead reads them: how long work takes
// and waits, who holds it, why it escalates or comes back, approvals, SLAs, cost, shadow mode.
import type { MetricsSummary } from '../../api/types.ts';
import { FigureChart } from './figure-chart.tsx';
import {
  approvalRows,
  boundaryWaitRows,
  deciderRows,
  escalationRows,
  flowRows,
  latencyRows,
  ownerActivityRows,
  ownerRows,
  reworkReasonRows,
  shadowRows,
} from './figures.ts';
import { count, percent, seconds, usd } from './format.ts';
import { auditLink, boardLink, type Period, type Scope } from './period.ts';

interface Props {
  m: MetricsSummary;
  scope: Scope;
  period: Period;
}

const num = (v: number) => count(Math.round(v * 100) / 100);

export function Charts({ m, scope, period }: Props) {
  const link = (filters: Record<string, string | undefined> = {}) => boardLink(scope, filters);
  const byFlow = flowRows(m);
  const waits = boundaryWaitRows(m);
  return (
    <div className="dash-grid">
      <FigureChart
        id="fig-latency"
        title="Handoff latency"
        note="Median (p50) and 95th percentile (p95) of each stage, over the handoffs of the period."
        rows={latencyRows(m.totals)}
        series={[
          { key: 'p50', name: 'p50' },
          { key: 'p95', name: 'p95' },
        ]}
        format={seconds}
        nameLabel="Stage"
        columns={[
          { label: 'p50', value: (r) => seconds(r.p50) },
          { label: 'p95', value: (r) => seconds(r.p95) },
          { label: 'Handoffs measured', value: (r) => count(r.count) },
        ]}
        link={{ to: link(), label: 'See these handoffs' }}
        empty="No handoffs in this period."
      />
      {waits.length > 0 && (
        <FigureChart
          id="fig-boundary-wait"
          title="Wait at each boundary"
          note="Handed off → accepted by the new owner: how long work waits where it changes hands."
          rows={waits}
          series={[
            { key: 'p50', name: 'p50' },
            { key: 'p95', name: 'p95' },
          ]}
          format={seconds}
          nameLabel="Boundary"
          columns={[
            { label: 'p50', value: (r) => seconds(r.p50) },
            { label: 'p95', value: (r) => seconds(r.p95) },
            { label: 'Accepted', value: (r) => count(r.count) },
          ]}
          rowLink={(r) => boardLink({}, { boundary: r.boundary })}
          empty="No boundary crossed in this period."
        />
      )}
      <FigureChart
        id="fig-queue-age"
        title="Queue age"
        note={`Work waiting for a person now, by how long it has waited (${count(m.queueAges.waiting)} waiting, ${count(m.queueAges.breached)} past the SLA).`}
        rows={m.queueAges.buckets.map((b) => ({ name: b.bucket, count: b.count }))}
        series={[{ key: 'count', name: 'Handoffs waiting' }]}
        format={num}
        whole
        nameLabel="Waited"
        columns={[{ label: 'Handoffs waiting', value: (r) => count(r.count) }]}
        link={{ to: link(), label: 'See the waiting work' }}
        empty="Nothing waits."
      />
      <FigureChart
        id="fig-owners"
        title="Load per owner"
        note="What each owner holds now, by state (most waiting first)."
        rows={ownerRows(m)}
        series={[
          { key: 'handed_off', name: 'Handed off', stack: 's' },
          { key: 'escalated', name: 'Escalated', stack: 's' },
          { key: 'returned', name: 'Returned', stack: 's' },
          { key: 'accepted', name: 'Accepted', stack: 's' },
          { key: 'failed', name: 'Failed', stack: 's' },
        ]}
        format={num}
        whole
        nameLabel="Owner"
        columns={[
          { label: 'Waiting', value: (r) => count(r.waiting) },
          { label: 'Accepted', value: (r) => count(r.accepted) },
          { label: 'Failed', value: (r) => count(r.failed) },
          { label: 'Past SLA', value: (r) => count(r.breached) },
          { label: 'Oldest', value: (r) => seconds(r.oldest) },
        ]}
        rowLink={(r) => link({ owner: r.name })}
        empty="Nobody holds any work now."
      />
      <FigureChart
        id="fig-owner-activity"
        title="Time to accept, per owner"
        note="Over the period's handoffs: how long each owner took to accept what they were given, and how much they sent back."
        rows={ownerActivityRows(m)}
        series={[
          { key: 'p50', name: 'p50' },
          { key: 'p95', name: 'p95' },
        ]}
        format={seconds}
        nameLabel="Owner"
        columns={[
          { label: 'p50', value: (r) => seconds(r.p50) },
          { label: 'p95', value: (r) => seconds(r.p95) },
          { label: 'Given', value: (r) => count(r.assigned) },
          { label: 'Accepted', value: (r) => count(r.accepted) },
          { label: 'Sent back', value: (r) => `${count(r.sentBack)} (${percent(r.sentBackRate)})` },
        ]}
        rowLink={(r) => link({ owner: r.name })}
        empty="Nobody was given work in this period."
      />
      <FigureChart
        id="fig-escalations"
        title="Escalation rate by reason"
        note={`${percent(m.totals.escalations.rate)} of the period's handoffs escalated.`}
        rows={escalationRows(m)}
        series={[{ key: 'rate', name: 'Share of handoffs' }]}
        format={percent}
        nameLabel="Reason"
        columns={[
          { label: 'Handoffs', value: (r) => count(r.handoffs) },
          { label: 'Escalations', value: (r) => count(r.events) },
          { label: 'Rate', value: (r) => percent(r.rate) },
        ]}
        link={{ to: link({ state: 'escalated' }), label: 'See the escalated handoffs' }}
        empty="No escalations in this period."
      />
      <FigureChart
        id="fig-rework-reason"
        title="Rework rate by reason"
        note={`${percent(m.totals.rework.rate)} of the period's handoffs had rework (${count(m.totals.rework.total)} events, reassignments and overrides included).`}
        rows={reworkReasonRows(m)}
        series={[
          { key: 'returned', name: 'Returned after accepting', stack: 'r' },
          { key: 'declined', name: 'Declined before accepting', stack: 'r' },
        ]}
        format={num}
        whole
        nameLabel="Return reason"
        columns={[
          { label: 'Returned', value: (r) => count(r.returned) },
          { label: 'Declined', value: (r) => count(r.declined) },
          { label: 'Rate', value: (r) => percent(r.rate) },
        ]}
        link={{ to: link({ state: 'returned' }), label: 'See the returned handoffs' }}
        empty="Nothing was sent back in this period."
      />
      <FigureChart
        id="fig-rework-decider"
        title="Rework rate by who decided"
        note="Share of each decider's handoffs that were returned, declined, re-routed or overridden."
        rows={deciderRows(m.totals)}
        series={[{ key: 'rate', name: 'Rework rate' }]}
        format={percent}
        max={1}
        nameLabel="Decided by"
        columns={[
          { label: 'Handoffs', value: (r) => count(r.handoffs) },
          { label: 'With rework', value: (r) => count(r.reworked) },
          { label: 'Rate', value: (r) => percent(r.rate) },
        ]}
        empty="No decisions in this period."
      />
      <FigureChart
        id="fig-approvals"
        title="Approval latency"
        note={`Requested → decided. ${count(m.approvals.requested)} approvals requested, ${count(m.approvals.byOutcome.pending)} pending.`}
        rows={approvalRows(m)}
        series={[
          { key: 'p50', name: 'p50' },
          { key: 'p95', name: 'p95' },
        ]}
        format={seconds}
        nameLabel="Flow"
        columns={[
          { label: 'p50', value: (r) => seconds(r.p50) },
          { label: 'p95', value: (r) => seconds(r.p95) },
          { label: 'Approved', value: (r) => count(r.approved) },
          { label: 'Rejected', value: (r) => count(r.rejected) },
          { label: 'Timed out', value: (r) => count(r.timedOut) },
          { label: 'Pending', value: (r) => count(r.pending) },
        ]}
        rowLink={(r) => link({ flow: r.name, state: 'awaiting_approval' })}
        rowLinkLabel="Waiting for approval"
        empty="No approvals in this period."
      />
      <FigureChart
        id="fig-sla"
        title="SLA breaches"
        note={`${count(m.totals.slaBreaches.handoffs)} handoffs (${percent(m.totals.slaBreaches.rate)}) were not accepted within their flow's SLA.`}
        rows={byFlow}
        series={[{ key: 'breached', name: 'Breached' }]}
        format={num}
        whole
        nameLabel="Flow"
        columns={[
          { label: 'Breached', value: (r) => count(r.breached) },
          { label: 'Rate', value: (r) => percent(r.breachRate) },
          { label: 'Handoffs', value: (r) => count(r.handoffs) },
        ]}
        rowLink={(r) => auditLink(scope, period, 'sla_breached', r.name)}
        rowLinkLabel="Breaches"
        empty="No handoffs in this period."
      />
      <FigureChart
        id="fig-cost"
        title="Cost per completed handoff"
        note={`Model and paid API cost: ${usd(m.totals.cost.totalUsd)} in all, ${usd(m.totals.cost.perCompletedUsd)} per completed handoff.`}
        rows={byFlow}
        series={[{ key: 'perCompletedUsd', name: 'Per completed handoff' }]}
        format={usd}
        nameLabel="Flow"
        columns={[
          { label: 'Per completed', value: (r) => usd(r.perCompletedUsd) },
          { label: 'Completed', value: (r) => count(r.completed) },
          { label: 'Total', value: (r) => usd(r.totalUsd) },
        ]}
        rowLink={(r) => auditLink(scope, period, 'completed', r.name)}
        rowLinkLabel="Completions"
        empty="No handoffs in this period."
      />
      <FigureChart
        id="fig-shadow"
        title="Shadow mode: agreement with people"
        note="How often the flow's decision matched where people routed the work; the dashed line is the promotion gate."
        rows={shadowRows(m)}
        series={[{ key: 'agreement', name: 'Agreement' }]}
        format={percent}
        max={1}
        reference={m.shadow[0] ? { value: m.shadow[0].gate.minAgreement, label: 'gate' } : undefined}
        nameLabel="Flow"
        columns={[
          { label: 'Observed', value: (r) => count(r.observed) },
          { label: 'Agreed', value: (r) => count(r.agreed) },
          { label: 'Agreement', value: (r) => percent(r.agreement) },
          {
            label: 'Promotion',
            value: (r) => (
              <span className={`badge ${r.ready ? 'badge-ok' : 'badge-wait'}`}>
                <span aria-hidden="true">{r.ready ? '✓ ' : '… '}</span>
                {r.hint}
              </span>
            ),
          },
        ]}
        rowLink={(r) => `/flows/${encodeURIComponent(r.name)}`}
        rowLinkLabel="Flow"
        empty="No flow ran in shadow mode in this period."
      />
    </div>
  );
}
