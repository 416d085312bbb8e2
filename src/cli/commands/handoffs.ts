// Commands on handoffs: send, ls, show, the owner's commands, approvals, resolve and retry.
import { Option, type Command } from 'commander';
import { BatonError } from '../../core/errors.ts';
import { RETURN_REASONS } from '../../core/types.ts';
import type { HandoffView } from '../../service/views.ts';
import type { Client, HandoffCommand, SendResult } from '../client.ts';
import { ApiError } from '../../core/api-error.ts';
import { EXIT_FAILURE, EXIT_USAGE, exitCodeOf, ExitError, formatError, UsageError } from '../errors.ts';
import { ago, plural, table } from '../format.ts';
import { parseCount, parseSince, parseState, readJsonArg } from '../input.ts';
import { progressBar } from '../progress.ts';
import { withSession, type Session, type SessionFor } from '../session.ts';
import { renderHandoff } from '../show.ts';

/** `--set key=value`, repeatable: the value is JSON when it parses, else text. */
function collectParam(text: string, previous: Record<string, unknown> | undefined): Record<string, unknown> {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--set ${text}: write it as name=value`);
  const raw = text.slice(eq + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // Plain text.
  }
  return { ...previous, [text.slice(0, eq)]: value };
}

/** A handoff named on the command line: its id, or FLOW/KEY (the flow's idempotency key). */
const HANDOFF_ARG =
  'handoff id, or FLOW/KEY: the flow and the idempotency key its sender used (lead-to-owner/L-1)';

/** Splits FLOW/KEY at the first slash (flow ids have none; a key may). */
export function keyRef(arg: string): { flow: string; key: string } | undefined {
  const slash = arg.indexOf('/');
  if (slash < 0) return undefined;
  const flow = arg.slice(0, slash);
  const key = arg.slice(slash + 1);
  if (!flow || !key)
    throw new UsageError(`${arg}: write a handoff id, or FLOW/KEY such as lead-to-owner/L-1`);
  return { flow, key };
}

/** The handoff's id for a command: FLOW/KEY is looked up first. */
async function handoffId(client: Client, arg: string): Promise<string> {
  const ref = keyRef(arg);
  return ref ? (await client.getByKey(ref.flow, ref.key)).id : arg;
}

/**
 * The handoff an argument names. An id that is not Baton's (`L-1`) is most likely the sender's:
 * the not-found message says how to look that up.
 */
async function handoffByArg(client: Client, arg: string): Promise<HandoffView> {
  const ref = keyRef(arg);
  if (ref) return client.getByKey(ref.flow, ref.key);
  try {
    return await client.get(arg);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code !== 'not_found' || arg.startsWith('h_')) throw e;
    throw new BatonError(
      'not_found',
      `handoff ${arg} does not exist; if ${arg} is the id its sender used, name the flow too: FLOW/${arg} (e.g. lead-to-owner/${arg})`,
    );
  }
}

export function registerHandoffCommands(program: Command, sessionFor: SessionFor): void {
  program
    .command('send')
    .description('hand work to a flow (intake); a JSON array sends each element')
    .argument('<flow>', 'flow id')
    .argument('<input>', 'the input as JSON text, @FILE, or @- for standard input')
    .option('--parallel <n>', 'inputs in flight at once when sending an array', '32')
    .action(
      withSession(sessionFor, async (s, flow: string, arg: string, o: { parallel: string }) => {
        const input = readJsonArg(arg);
        // Intake may start a new store; every other command needs one that exists.
        const client = await s.client({ create: true });
        if (Array.isArray(input))
          return sendMany(s, client, flow, input, parseCount(o.parallel, '--parallel', 1000));
        const r = await client.send(flow, input);
        if (s.json) return s.outJson(r);
        s.out(
          `${r.id} ${r.state}${r.created === false ? ' (existing handoff: same idempotency key)' : ''}\n`,
        );
      }),
    );

  program
    .command('ls')
    .description('list handoffs, newest first')
    .option('--flow <flow>', 'only this flow')
    .option('--owner <owner>', 'only this owner (user:kim, team:ops, role:cfo; a bare name is a user)')
    .option('--state <state>', 'only this state (handed_off, accepted, escalated, ...)')
    .option('--breached', 'only handoffs past their SLA')
    .option('--since <when>', 'created since: 7d, 24h, 30m or an ISO date')
    .option('--limit <n>', 'at most this many (up to 1000)', '50')
    .option('--cursor <cursor>', 'the next page, from a previous listing')
    .action(
      withSession(
        sessionFor,
        async (
          s,
          o: {
            flow?: string;
            owner?: string;
            state?: string;
            breached?: boolean;
            since?: string;
            limit: string;
            cursor?: string;
          },
        ) => {
          const filter = {
            ...(o.flow ? { flow: o.flow } : {}),
            ...(o.owner ? { owner: o.owner.includes(':') ? o.owner : `user:${o.owner}` } : {}),
            ...(o.state ? { state: parseState(o.state) } : {}),
            ...(o.breached ? { breached: true } : {}),
            ...(o.since ? { since: parseSince(o.since) } : {}),
            limit: parseCount(o.limit, '--limit', 1000),
            ...(o.cursor ? { cursor: o.cursor } : {}),
          };
          const page = await (await s.client()).list(filter);
          if (s.json) return s.outJson(page);
          if (page.items.length === 0) return s.out('no handoffs\n');
          const now = Date.now();
          s.out(
            table(
              ['ID', 'FLOW', 'MODE', 'STATE', 'OWNER', 'AGE', 'UPDATED', 'REWORK', ''],
              page.items.map((h) => [
                h.id,
                h.flow,
                h.mode,
                shadowState(h),
                h.owner,
                ago(h.createdAt, now),
                ago(h.updatedAt, now),
                h.rework ? String(h.rework) : '',
                h.breached ? 'BREACHED' : '',
              ]),
            ),
          );
          if (page.nextCursor) s.out(`more: --cursor ${page.nextCursor}\n`);
        },
      ),
    );

  program
    .command('show')
    .description('one handoff: decision, timeline of events, ownership ledger, actions, approvals')
    .argument('<id>', HANDOFF_ARG)
    .action(
      withSession(sessionFor, async (s, arg: string) => {
        const client = await s.client();
        const h = await handoffByArg(client, arg);
        if (s.json) return s.outJson(h);
        s.out(renderHandoff(h));
      }),
    );

  const act = (
    name: string,
    description: string,
    build: (o: Record<string, string | boolean | undefined>, extra: string[]) => HandoffCommand,
    configure: (c: Command) => Command = (c) => c,
  ) =>
    configure(program.command(name).description(description).argument('<id>', HANDOFF_ARG)).action(
      withSession(sessionFor, async (s, arg: string, ...rest: unknown[]) => {
        const o = rest.at(-1) as Record<string, string | boolean | undefined>;
        const command = build(o, rest.slice(0, -1) as string[]);
        const client = await s.client();
        const view = await client.act(await handoffId(client, arg), command);
        printChange(s, command.kind, view);
      }),
    );

  const reason = (c: Command) =>
    c
      .requiredOption('--reason <reason>', `why: ${RETURN_REASONS.join(' | ')}`)
      .option('--comment <text>', 'a note for the next owner');
  const comment = (c: Command) => c.option('--comment <text>', 'a note for the ledger');
  const withComment = (o: Record<string, unknown>) =>
    typeof o.comment === 'string' ? { comment: o.comment } : {};

  act(
    'accept',
    'take the work: you (or your team or role) become its accepted owner',
    (o) => ({ kind: 'accept', ...withComment(o) }),
    comment,
  );
  act(
    'decline',
    'send it back before accepting (a return before acceptance)',
    (o) => ({ kind: 'decline', reason: String(o.reason), ...withComment(o) }),
    reason,
  );
  act(
    'return',
    'send accepted work back for rework, with a typed reason',
    (o) => ({ kind: 'return', reason: String(o.reason), ...withComment(o) }),
    reason,
  );
  act(
    'reassign',
    'give the work to another owner',
    (o) => ({ kind: 'reassign', to: String(o.to), ...withComment(o) }),
    (c) => comment(c.requiredOption('--to <owner>', 'the new owner: user:ID, team:ID or role:ID')),
  );
  act(
    'amend',
    'fill in or correct the input (a JSON merge patch: null removes a field); Baton decides again',
    (o, extra) => {
      const patch = readJsonArg(extra[0]!, 'patch');
      if (typeof patch !== 'object' || patch === null || Array.isArray(patch))
        throw new UsageError('the patch must be a JSON object, e.g. \'{"company":"Acme"}\'');
      return { kind: 'amend', input: patch as Record<string, unknown>, ...withComment(o) };
    },
    (c) => comment(c.argument('<patch>', 'the changes as JSON text, @FILE, or @- for standard input')),
  );
  act('complete', 'mark the work done', (o) => ({ kind: 'complete', ...withComment(o) }), comment);
  act('cancel', 'stop the handoff for good', (o) => ({ kind: 'cancel', ...withComment(o) }), comment);
  act(
    'rollback',
    "undo the handoff's actions, newest first",
    (o) => ({ kind: 'rollback', ...withComment(o) }),
    comment,
  );
  act('retry', 'run failed actions again', (o) => ({ kind: 'retry', ...withComment(o) }), comment);
  act(
    'resolve',
    'settle an action whose outcome is unknown: it --succeeded, it --failed, or --retry it',
    (o, extra) => {
      const chosen = (['succeeded', 'failed', 'retry'] as const).filter((k) => o[k] === true);
      if (chosen.length !== 1)
        throw new UsageError('resolve needs exactly one of --succeeded, --failed or --retry');
      return { kind: 'resolve', action: extra[0]!, outcome: chosen[0]!, ...withComment(o) };
    },
    (c) =>
      comment(
        c
          .argument('<action>', "the action's id in the flow")
          .option('--succeeded', 'it happened: record success')
          .option('--failed', 'it did not happen: record failure')
          .option('--retry', 'run it again'),
      ),
  );

  program
    .command('observed')
    .description('shadow mode: record where people actually routed the work (once per handoff)')
    .argument('<id>', HANDOFF_ARG)
    .requiredOption(
      '--owner <owner>',
      'who people gave it to: user:ID, team:ID or role:ID (a bare name is a user)',
    )
    .action(
      withSession(sessionFor, async (s, arg: string, o: { owner: string }) => {
        const client = await s.client();
        const owner = o.owner.includes(':') ? o.owner : `user:${o.owner}`;
        const h = await client.observed(await handoffId(client, arg), owner);
        if (s.json) return s.outJson(h);
        const would = h.decision?.owner ?? 'no owner';
        s.out(
          `${h.id} observed: people routed it to ${owner}; the flow would have chosen ${would} ` +
            `(${h.observed?.agreed ? 'agreed' : 'disagreed'})\n`,
        );
      }),
    );

  for (const decision of ['approve', 'reject'] as const) {
    program
      .command(decision)
      .description(
        `${decision} a pending approval (an approval id, or a handoff id with exactly one pending approval)`,
      )
      .argument('<id>', 'approval id (apr_…), or handoff id or FLOW/KEY')
      .option('--comment <text>', 'why')
      .addOption(
        new Option('--edit-owner <owner>', 'suggest mode: correct the decided owner while approving'),
      )
      .addOption(
        new Option(
          '--set <param=value>',
          'approve with a changed parameter of the action (repeatable; the value is JSON, else text): recorded as an override and checked against the policy again',
        )
          .argParser(collectParam)
          .default(undefined),
      )
      .action(
        withSession(
          sessionFor,
          async (
            s,
            id: string,
            o: { comment?: string; editOwner?: string; set?: Record<string, unknown> },
          ) => {
            if (o.set && decision === 'reject') throw new UsageError('--set comes with approve, not reject');
            const edits = {
              ...(o.editOwner ? { owner: o.editOwner } : {}),
              ...(o.set ? { params: o.set } : {}),
            };
            const client = await s.client();
            const r = await client.decide(id.startsWith('apr_') ? id : await handoffId(client, id), {
              decision,
              ...(o.comment ? { comment: o.comment } : {}),
              ...(o.editOwner || o.set ? { edits } : {}),
            });
            if (s.json) return s.outJson(r);
            const a = r.approval;
            const by = a.decidedBy
              ? ` (${a.decidedBy.label}${a.decidedBy.user ? ` ${a.decidedBy.user}` : ''}${a.decidedBy.for ? ` for ${a.decidedBy.for}` : ''}${a.decidedBy.via ? ` via ${a.decidedBy.via}` : ''})`
              : '';
            const status =
              a.state === 'pending'
                ? `vote recorded; still pending (level ${a.level + 1} of ${a.levels.length})`
                : `${a.state}${by}`;
            s.out(`${a.id} ${status}\n${r.handoff.id} ${r.handoff.state}, owner ${r.handoff.owner}\n`);
            const edited = a.overrides?.at(-1);
            if (o.set && edited)
              s.out(
                `parameters changed: ${Object.keys(o.set).join(', ')}${edited.addedLevels?.length ? `; now also needs ${edited.addedLevels.map((l) => l.name ?? l.approvers.join('/')).join(', ')}` : ''}\n`,
              );
          },
        ),
      );
  }

  program
    .command('approvals')
    .description('list approvals (default: pending)')
    .option('--state <state>', 'pending | approved | rejected | timed_out | voided', 'pending')
    .option('--handoff <id>', 'only this handoff')
    .action(
      withSession(sessionFor, async (s, o: { state: string; handoff?: string }) => {
        const states = ['pending', 'approved', 'rejected', 'timed_out', 'voided'] as const;
        const state = states.find((x) => x === o.state);
        if (!state) throw new UsageError(`--state must be one of ${states.join(', ')}`);
        const items = await (
          await s.client()
        ).approvals({ state, ...(o.handoff ? { handoffId: o.handoff } : {}) });
        if (s.json) return s.outJson({ items });
        if (items.length === 0) return s.out(`no ${state} approvals\n`);
        s.out(
          table(
            ['APPROVAL', 'HANDOFF', 'FLOW', 'WHAT', 'APPROVERS', 'REQUESTED'],
            items.map((a) => [
              a.id,
              a.handoffId,
              a.flow,
              a.summary,
              a.levels[a.level]?.approvers.join(', ') ?? '',
              ago(a.requestedAt),
            ]),
          ),
        );
      }),
    );
}

/** A shadow handoff's `completed` is a recorded decision, not finished work: say so. */
export const shadowState = (h: { mode: string; state: string }): string =>
  h.mode === 'shadow' && h.state === 'completed' ? 'recorded (shadow)' : h.state;

const DONE: Record<HandoffCommand['kind'], string> = {
  accept: 'accepted',
  decline: 'declined',
  return: 'returned',
  reassign: 'reassigned',
  amend: 'amended',
  complete: 'completed',
  cancel: 'cancelled',
  rollback: 'rolled back',
  retry: 'retried',
  resolve: 'resolved',
};

function printChange(s: Session, kind: HandoffCommand['kind'], h: HandoffView): void {
  if (s.json) return s.outJson(h);
  s.out(`${h.id} ${DONE[kind]}: now ${h.state}, owner ${h.owner}\n`);
  if (kind !== 'rollback') return;
  // Newest first, as they were undone; what could not be undone is named, not hidden.
  for (const a of [...h.actions].reverse()) {
    const what =
      a.state === 'rolled_back'
        ? 'undone'
        : a.state === 'succeeded'
          ? 'not reversible (see `baton show`)'
          : a.state;
    s.out(`  ${a.id} (${a.use}): ${what}\n`);
  }
}

type Outcome = { index: number; result?: SendResult; error?: unknown };

/** Sends every element of an array, `parallel` at a time, with a progress bar on a terminal. */
async function sendMany(s: Session, client: Client, flow: string, inputs: unknown[], parallel: number) {
  const outcomes: Outcome[] = Array.from({ length: inputs.length }, (_, index) => ({ index }));
  const bar = progressBar(inputs.length, `sending to ${flow}`);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < inputs.length; i = next++) {
      try {
        outcomes[i]!.result = await client.send(flow, inputs[i], { settle: false });
      } catch (e) {
        if (e instanceof ApiError && e.code === 'unreachable') throw e;
        outcomes[i]!.error = e;
      }
      bar.tick();
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, inputs.length) }, worker));
  bar.done();

  if (client.mode === 'direct') {
    // Let the new handoffs move on, then report where each one is.
    if (process.stderr.isTTY) s.err(`routing ${plural(inputs.length, 'handoff')}…\n`);
    await client.settle();
    const sent = outcomes.filter((o) => o.result);
    let k = 0;
    const refresh = async () => {
      for (let i = k++; i < sent.length; i = k++) {
        const o = sent[i]!;
        o.result = { ...o.result!, state: (await client.get(o.result!.id)).state };
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, sent.length) }, refresh));
  }

  const failed = outcomes.filter((o) => o.error !== undefined);
  if (s.json) {
    s.outJson(
      outcomes.map((o) =>
        o.result ? { index: o.index, ...o.result } : { index: o.index, error: errorJson(o.error) },
      ),
    );
  } else {
    for (const o of outcomes) {
      if (o.result)
        s.out(`${o.result.id} ${o.result.state}${o.result.created === false ? ' (existing)' : ''}\n`);
    }
    for (const o of failed) s.err(`[${o.index}] ${formatError(o.error).replace(/^baton: /, '')}`);
    const existing = outcomes.filter((o) => o.result?.created === false).length;
    s.err(
      `sent ${plural(inputs.length, 'input')} to ${flow}: ${inputs.length - failed.length - existing} new, ` +
        `${existing} existing, ${failed.length} failed\n`,
    );
  }
  if (failed.length > 0) {
    const codes = failed.map((o) => exitCodeOf(o.error));
    throw new ExitError(codes.includes(EXIT_USAGE) ? EXIT_USAGE : EXIT_FAILURE);
  }
}

function errorJson(e: unknown) {
  if (e && typeof e === 'object' && 'code' in e && 'message' in e)
    return { code: e.code, message: e.message, details: 'details' in e ? e.details : [] };
  return { code: 'internal', message: e instanceof Error ? e.message : String(e), details: [] };
}
