// What a click in Slack does. The request was verified (signature, window, replay) before this
// runs. The clicker's Slack id must be a person of baton.yaml; that person's right is checked
// by the service exactly as for the API (approver of the level, no self-approval, owner of work).
import { z } from 'zod';
import { errorText, isBatonError } from '../../core/errors.ts';
import type { Person } from '../../core/project-schema.ts';
import type { ApprovalRecord } from '../../core/types.ts';
import type { BatonApi } from '../../service/api.ts';
import type { CallerInfo } from '../../service/baton.ts';
import { closedLine, messageFor, type NoticeMessage } from '../../channels/message.ts';
import type { OutboxRecord } from '../../core/notices.ts';
import { ACTION, editModal, rejectModal, VIEW, type ModalOrigin } from './blocks.ts';
import type { SlackChannel } from './channel.ts';

export interface SlackDeps {
  api: Pick<BatonApi, 'decide' | 'accept' | 'store'>;
  slack: SlackChannel;
  people: readonly Person[];
  /** Follow-up Web API calls run after the answer to Slack (it wants one within 3 s). */
  later(work: () => Promise<unknown>): void;
}

const blockActions = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string() }),
  trigger_id: z.string().optional(),
  channel: z.object({ id: z.string() }).optional(),
  container: z.object({ channel_id: z.string().optional(), message_ts: z.string().optional() }).optional(),
  message: z.object({ ts: z.string() }).optional(),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().max(200).optional() })).min(1),
});

const viewSubmission = z.object({
  type: z.literal('view_submission'),
  user: z.object({ id: z.string() }),
  view: z.object({
    callback_id: z.string(),
    private_metadata: z.string().max(3000),
    state: z.object({
      values: z.record(z.string(), z.record(z.string(), z.object({ value: z.string().nullish() }))),
    }),
  }),
});

const origin = z.object({
  approvalId: z.string(),
  channel: z.string().optional(),
  ts: z.string().optional(),
});

export type SlackAnswer = { status: number; body: unknown };
const OK: SlackAnswer = { status: 200, body: {} };

export async function handleInteraction(deps: SlackDeps, payload: unknown): Promise<SlackAnswer> {
  const type = (payload as { type?: unknown } | null)?.type;
  if (type === 'block_actions') {
    const p = blockActions.safeParse(payload);
    if (!p.success) return bad('a block_actions payload without user or actions');
    return onAction(deps, p.data);
  }
  if (type === 'view_submission') {
    const p = viewSubmission.safeParse(payload);
    if (!p.success) return bad('a view_submission payload without user or view');
    return onSubmit(deps, p.data);
  }
  // Other interaction types (view_closed, shortcuts) ask nothing of Baton.
  return OK;
}

const bad = (message: string): SlackAnswer => ({
  status: 400,
  body: { error: { code: 'validation_failed', message, details: [] } },
});

function personOf(deps: SlackDeps, slackId: string): Person | undefined {
  return deps.people.find((p) => p.slack === slackId);
}

const callerOf = (p: Person): CallerInfo => ({ user: p.id, access: 'viewer', via: 'slack' });

async function onAction(deps: SlackDeps, p: z.infer<typeof blockActions>): Promise<SlackAnswer> {
  const action = p.actions[0]!;
  const channel = p.container?.channel_id ?? p.channel?.id;
  const ts = p.container?.message_ts ?? p.message?.ts;
  const person = personOf(deps, p.user.id);
  const ephemeral = (text: string) =>
    channel && deps.later(() => deps.slack.client.chat.postEphemeral({ channel, user: p.user.id, text }));
  if (!person) {
    ephemeral('Your Slack account is not linked to a person in Baton (baton.yaml: people[].slack).');
    return OK;
  }
  const value = action.value ?? '';
  switch (action.action_id) {
    case ACTION.approve: {
      try {
        const r = await deps.api.decide(value, callerOf(person), 'approve');
        await settleMessage(deps, channel, ts, r.approval, person.id);
      } catch (e) {
        await refused(deps, e, value, channel, ts, ephemeral);
      }
      return OK;
    }
    case ACTION.reject:
    case ACTION.edit: {
      const approval = await deps.api.store.approval(value);
      if (!approval) {
        ephemeral(`Approval ${value} does not exist.`);
        return OK;
      }
      if (approval.state !== 'pending') {
        await refused(deps, alreadyDecided(approval), value, channel, ts, ephemeral);
        return OK;
      }
      if (!p.trigger_id) return bad('a button click without trigger_id');
      const from: ModalOrigin = { approvalId: value, ...(channel ? { channel } : {}), ...(ts ? { ts } : {}) };
      const view =
        action.action_id === ACTION.reject
          ? rejectModal(from, approval.summary)
          : editModal(from, approval.summary);
      deps.later(() => deps.slack.client.views.open({ trigger_id: p.trigger_id!, view: view as never }));
      return OK;
    }
    case ACTION.accept: {
      try {
        await deps.api.accept(value, callerOf(person));
        if (channel && ts) {
          const m = await currentMessage(deps, value);
          if (m) deps.later(() => deps.slack.settle(channel, ts, m, `Accepted by ${person.id} via slack`));
        }
      } catch (e) {
        ephemeral(`Not accepted: ${isBatonError(e) ? e.message : 'something went wrong; try again'}`);
        if (!isBatonError(e)) process.emitWarning(`baton: slack accept failed: ${errorText(e)}`);
      }
      return OK;
    }
    default:
      return OK;
  }
}

async function onSubmit(deps: SlackDeps, p: z.infer<typeof viewSubmission>): Promise<SlackAnswer> {
  const cb = p.view.callback_id;
  if (cb !== VIEW.reject && cb !== VIEW.edit) return OK;
  let from: ModalOrigin;
  try {
    const o = origin.safeParse(JSON.parse(p.view.private_metadata));
    if (!o.success) return bad('the modal carries no approval');
    from = o.data;
  } catch {
    return bad('the modal carries no approval');
  }
  const field = cb === VIEW.reject ? 'reason' : 'owner';
  const text = (block: string) => p.view.state.values[block]?.value?.value?.trim() ?? '';
  const person = personOf(deps, p.user.id);
  const errors = (message: string): SlackAnswer => ({
    status: 200,
    body: { response_action: 'errors', errors: { [field]: message.slice(0, 150) } },
  });
  if (!person) return errors('Your Slack account is not linked to a person in Baton.');
  try {
    const r =
      cb === VIEW.reject
        ? await deps.api.decide(from.approvalId, callerOf(person), 'reject', text('reason') || undefined)
        : await deps.api.decide(from.approvalId, callerOf(person), 'approve', text('comment') || undefined, {
            owner: text('owner'),
          });
    await settleMessage(deps, from.channel, from.ts, r.approval, person.id);
    return OK;
  } catch (e) {
    if (!isBatonError(e)) process.emitWarning(`baton: slack decision failed: ${errorText(e)}`);
    return errors(isBatonError(e) ? e.message : 'Something went wrong; try again.');
  }
}

function alreadyDecided(a: ApprovalRecord): Error {
  return Object.assign(new Error(`Already decided: ${closedLine(a) ?? a.state}`), {
    code: 'already_decided',
  });
}

/** A refused click: "already decided by X" updates the message; anything else is told privately. */
async function refused(
  deps: SlackDeps,
  e: unknown,
  approvalId: string,
  channel: string | undefined,
  ts: string | undefined,
  ephemeral: (text: string) => unknown,
): Promise<void> {
  const code = (e as { code?: unknown }).code;
  if (code === 'already_decided') {
    const a = await deps.api.store.approval(approvalId);
    const line = a ? closedLine(a) : undefined;
    ephemeral(`Already decided${line ? `: ${line}` : ''}.`);
    if (a) await settleMessage(deps, channel, ts, a, undefined);
    return;
  }
  if (!isBatonError(e)) process.emitWarning(`baton: slack decision failed: ${errorText(e)}`);
  ephemeral(isBatonError(e) ? e.message : 'Something went wrong; try again.');
}

/** Updates the clicked message: the outcome once closed, or the vote while others must still vote. */
async function settleMessage(
  deps: SlackDeps,
  channel: string | undefined,
  ts: string | undefined,
  a: ApprovalRecord,
  voter: string | undefined,
): Promise<void> {
  if (!channel || !ts) return;
  const m = await currentMessage(deps, a.handoffId, a);
  if (!m) return;
  const outcome = closedLine(a) ?? `${voter ?? 'Someone'} voted via slack; waiting for more approvers`;
  deps.later(() => deps.slack.settle(channel, ts, m, outcome));
}

async function currentMessage(
  deps: SlackDeps,
  handoffId: string,
  a?: ApprovalRecord,
): Promise<NoticeMessage | undefined> {
  const snap = await deps.api.store.get(handoffId);
  if (!snap) return undefined;
  const notice: OutboxRecord = {
    id: '',
    handoffId,
    kind: a ? 'approval' : 'handoff',
    owner: snap.handoff.owner,
    text: a ? a.summary : `${snap.handoff.flow} ${handoffId}`,
    createdAt: 0,
    state: 'done',
    attempts: 0,
    nextAt: null,
  };
  return messageFor(notice, snap.handoff, a);
}
