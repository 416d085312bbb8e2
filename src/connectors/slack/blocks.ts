// Block Kit for Baton's Slack messages and modals. Text from outside (summaries, parameters)
// is escaped for mrkdwn, so it cannot mention users or inject links.
import type { NoticeMessage } from '../../channels/message.ts';

export const ACTION = {
  approve: 'baton_approve',
  reject: 'baton_reject',
  edit: 'baton_edit',
  accept: 'baton_accept',
} as const;
export const VIEW = { reject: 'baton_reject', edit: 'baton_edit' } as const;

export const mrkdwn = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const plain = (text: string) => ({ type: 'plain_text', text: text.slice(0, 75) });
const clip = (s: string, max = 2900) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

function section(m: NoticeMessage): Record<string, unknown> {
  return {
    type: 'section',
    text: { type: 'mrkdwn', text: clip(`*${mrkdwn(m.subject)}*\n${m.lines.map(mrkdwn).join('\n')}`) },
  };
}

/** The message as delivered: the notice and, when there is something to do, its buttons. */
export function noticeBlocks(m: NoticeMessage, decisionKind = false): Array<Record<string, unknown>> {
  const blocks = [section(m)];
  const a = m.action;
  if (a?.kind === 'approve') {
    blocks.push({
      type: 'actions',
      block_id: 'baton_actions',
      elements: [
        {
          type: 'button',
          action_id: ACTION.approve,
          text: plain('Approve'),
          style: 'primary',
          value: a.approvalId,
        },
        ...(decisionKind
          ? [{ type: 'button', action_id: ACTION.edit, text: plain('Change owner…'), value: a.approvalId }]
          : []),
        {
          type: 'button',
          action_id: ACTION.reject,
          text: plain('Reject…'),
          style: 'danger',
          value: a.approvalId,
        },
      ],
    });
  } else if (a?.kind === 'accept') {
    blocks.push({
      type: 'actions',
      block_id: 'baton_actions',
      elements: [
        {
          type: 'button',
          action_id: ACTION.accept,
          text: plain('Accept'),
          style: 'primary',
          value: a.handoffId,
        },
      ],
    });
  }
  return blocks;
}

/** The message once settled: no buttons, and who settled it. */
export function settledBlocks(m: NoticeMessage, outcome: string): Array<Record<string, unknown>> {
  return [
    section({ subject: m.subject, lines: m.lines }),
    { type: 'context', elements: [{ type: 'mrkdwn', text: clip(mrkdwn(outcome), 2000) }] },
  ];
}

/** Where a modal came from, so its submission can update the message. */
export interface ModalOrigin {
  approvalId: string;
  channel?: string;
  ts?: string;
}

export function rejectModal(origin: ModalOrigin, summary: string): Record<string, unknown> {
  return {
    type: 'modal',
    callback_id: VIEW.reject,
    private_metadata: JSON.stringify(origin),
    title: plain('Reject'),
    submit: plain('Reject'),
    close: plain('Cancel'),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: clip(mrkdwn(summary)) } },
      {
        type: 'input',
        block_id: 'reason',
        label: plain('Reason'),
        element: { type: 'plain_text_input', action_id: 'value', multiline: true, max_length: 2000 },
      },
    ],
  };
}

export function editModal(origin: ModalOrigin, summary: string): Record<string, unknown> {
  return {
    type: 'modal',
    callback_id: VIEW.edit,
    private_metadata: JSON.stringify(origin),
    title: plain('Change owner'),
    submit: plain('Approve'),
    close: plain('Cancel'),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: clip(mrkdwn(summary)) } },
      {
        type: 'input',
        block_id: 'owner',
        label: plain('New owner (e.g. team:sales or user:dana)'),
        element: { type: 'plain_text_input', action_id: 'value', max_length: 200 },
      },
      {
        type: 'input',
        block_id: 'comment',
        optional: true,
        label: plain('Comment'),
        element: { type: 'plain_text_input', action_id: 'value', multiline: true, max_length: 2000 },
      },
    ],
  };
}
