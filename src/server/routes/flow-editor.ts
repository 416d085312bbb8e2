// A flow's history and its editor: the published versions, drafts checked as the server loads
// files, the flow's eval cases run on the live flow or a draft (sandboxed, as `baton eval`), and
// the save that writes the file and makes it the live version.
import path from 'node:path';
import { BatonError } from '../../core/errors.ts';
import { evalFlow, type EvalReport } from '../../eval/run.ts';
import type { CompiledFlow } from '../../flow/compiled.ts';
import { applyFlowChanges } from '../../flow/edit.ts';
import { unifiedDiff } from '../../flow/line-diff.ts';
import { parseFlow } from '../../flow/load.ts';
import { summarize } from '../../flow/yaml-source.ts';
import type { BatonApi } from '../../service/api.ts';
import { editableFlow, fileOnDisk } from '../../service/flow-edit.ts';
import { hasAccess } from '../../service/tokens.ts';
import type { Caller } from '../auth.ts';
import {
  draftAnswer,
  draftBody,
  evalAnswer,
  evalBody,
  flowVersionAnswer,
  flowVersions,
  saveAnswer,
  saveBody,
  versionParams,
} from '../flow-edit-schemas.ts';
import { requireFlow } from '../reach.ts';
import { defineRoute, type Route } from '../route.ts';
import { flowParams } from '../schemas.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/** A draft that does not load, refused as the save refuses it. */
async function compiledDraft(baton: BatonApi, flow: string, text: string): Promise<CompiledFlow> {
  const live = editableFlow(baton.project, flow);
  const check = await baton.checkFlowDraft(flow, text);
  if (check.errors.length > 0)
    throw new BatonError('flow_invalid', summarize(`the draft of flow ${flow} does not load`, check.errors), {
      details: check.errors,
    });
  return parseFlow(text, live.file);
}

// Each eval case opens a sandboxed project: runs are queued so they never crowd the server, and
// the queue is short, so readers asking again and again cannot pile work up (429, retry later).
export const EVAL_QUEUE_LIMIT = 4;
let evalQueue: Promise<unknown> = Promise.resolve();
let waiting = 0;
function queued(run: () => Promise<EvalReport>): Promise<EvalReport> {
  if (waiting >= EVAL_QUEUE_LIMIT) {
    throw new BatonError('busy', `${waiting} eval runs are already waiting: try again in a few seconds`, {
      retryable: true,
      retryAfterMs: 2000,
    });
  }
  waiting++;
  const next = evalQueue.then(run).finally(() => waiting--);
  evalQueue = next.catch(() => {});
  return next;
}

/** Cases that do not fit the flow name their file relative to the project, not on the server's disk. */
function relativeFiles(e: unknown, dir: string): unknown {
  if (!(e instanceof BatonError) || !e.details.some((d) => d.file)) return e;
  const details = e.details.map((d) => (d.file ? { ...d, file: path.relative(dir, d.file) } : d));
  return new BatonError(e.code, e.message.replaceAll(`${dir}${path.sep}`, ''), { details, cause: e });
}

const isAdmin = (c: Caller) => c.kind === 'token' && hasAccess(c.principal, 'admin');

export function flowEditorRoutes(): Route[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/v1/flows/:flow/versions',
      access: 'read',
      scoped: 'checked',
      tag: 'flows',
      summary: "A flow's published versions, newest first",
      description:
        'Every version the store has published for the flow (each reload or save of a changed file publishes one), ' +
        'when it was published and how many handoffs pinned it.',
      params: flowParams,
      response: { description: 'The versions', schema: flowVersions },
      errors: [404],
      async handler({ params, caller, baton }) {
        requireFlow(caller, params.flow);
        const live = baton.flowDetail(params.flow).version;
        const rows = await baton.store.flowVersions(params.flow);
        return {
          items: rows.map((r) => ({
            version: r.version,
            name: r.name,
            publishedAt: iso(r.publishedAt),
            handoffs: r.handoffs,
            live: r.version === live,
          })),
        };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/flows/:flow/versions/:version',
      access: 'read',
      scoped: 'checked',
      tag: 'flows',
      summary: 'One published version of a flow: its text and what changed from it to the live one',
      params: versionParams,
      response: { description: 'The version', schema: flowVersionAnswer },
      errors: [404],
      async handler({ params, caller, baton }) {
        requireFlow(caller, params.flow);
        const live = baton.project.flows.get(params.flow);
        const row = await baton.store.flowVersion(params.version);
        if (!live || !row || row.flowId !== params.flow)
          throw new BatonError('not_found', `flow ${params.flow} has no version ${params.version}`);
        return {
          version: row.version,
          name: row.name,
          publishedAt: iso(row.publishedAt),
          live: row.version === live.version,
          source: row.source,
          diff: unifiedDiff(row.source, live.source, path.relative(baton.project.dir, live.file)),
        };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/flows/:flow/draft',
      access: 'admin',
      tag: 'flows',
      summary: 'Check a draft of a flow file: its text, what keeps it from loading, its diff',
      description:
        '`changes` are applied in order to the file through the YAML document (comments and layout are kept), or ' +
        '`yaml` is the whole new text. The draft is checked as a reload checks the file (the loader and compiler, then ' +
        "the project's owners, tables, triggers and actions); nothing is written. Only YAML flow files are editable " +
        '(a TypeScript flow: 409).',
      params: flowParams,
      body: draftBody,
      response: { description: 'The draft, checked', schema: draftAnswer },
      errors: [404, 409],
      async handler({ params, body, baton }) {
        const live = editableFlow(baton.project, params.flow);
        const base = fileOnDisk(live.file);
        const text = body.yaml ?? applyFlowChanges(base, body.changes ?? []);
        const check = await baton.checkFlowDraft(params.flow, text);
        return {
          flow: params.flow,
          baseVersion: live.version,
          yaml: text,
          valid: check.errors.length === 0,
          ...(check.version ? { version: check.version } : {}),
          changed: text !== base,
          errors: check.errors,
          diff: unifiedDiff(base, text, path.relative(baton.project.dir, live.file)),
        };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/flows/:flow/eval',
      access: 'read',
      scoped: 'checked',
      tag: 'flows',
      summary: "Run the flow's eval cases on the live flow or on a draft",
      description:
        "Runs the cases of the flow's cases file (flows/NAME.cases.yaml) as `baton eval` does: each in a project of " +
        'its own with every external action and context source sandboxed, so nothing real happens. With `yaml` ' +
        '(admin only) the cases run on that draft of the file; a draft that does not load is refused (422 with line ' +
        'and field), as are cases that no longer fit it. A flow without cases answers an empty list.',
      params: flowParams,
      body: evalBody,
      response: { description: 'Each case, passed or with what differed', schema: evalAnswer },
      errors: [404, 409, 429],
      async handler({ params, body, caller, baton }) {
        requireFlow(caller, params.flow);
        const started = Date.now();
        let draft: CompiledFlow | undefined;
        if (body.yaml !== undefined) {
          if (!isAdmin(caller))
            throw new BatonError('forbidden', 'Running the cases on a draft needs an admin token');
          draft = await compiledDraft(baton, params.flow, body.yaml);
        }
        const version = draft?.version ?? baton.flowDetail(params.flow).version;
        const report = await queued(() => evalFlow(baton.project, params.flow, draft)).catch((e: unknown) => {
          throw relativeFiles(e, baton.project.dir);
        });
        return {
          flow: params.flow,
          version,
          draft: draft !== undefined,
          cases: report.cases.map((c) => ({
            name: c.name,
            passed: c.passed,
            // A case that could not run may say why with a file of the project: not where it is on disk.
            failures: c.failures.map((f) => f.replaceAll(`${baton.project.dir}${path.sep}`, '')),
          })),
          passed: report.passed,
          failed: report.failed,
          durationMs: Date.now() - started,
        };
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/v1/flows/:flow',
      access: 'admin',
      tag: 'flows',
      summary: "Save a flow file's new text: written atomically and live as a new version",
      description:
        'The draft is checked as a reload checks the file and refused (422, with line and field) when it does not ' +
        'load; refused (409) when the live version is not `expectedVersion` or the file changed on disk since it was ' +
        'loaded, and for a TypeScript flow. The file is written beside itself and renamed over the old one, then the ' +
        'flows reload: new handoffs pin the new version, running ones keep theirs.',
      params: flowParams,
      body: saveBody,
      response: { description: 'The new live version', schema: saveAnswer },
      errors: [404, 409],
      async handler({ params, body, baton }) {
        return baton.saveFlow(params.flow, body.yaml, body.expectedVersion);
      },
    }),
  ];
}
