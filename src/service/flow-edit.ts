// Editing a flow's file from the console: a draft is checked exactly as a reload checks the file
// (the loader and compiler, then the project's owners, tables, triggers and actions), and saved
// by writing the file atomically and reloading, so it goes live as a new version like any edit.
// Only YAML flow files are edited: a TypeScript flow is code, edited where it is written.
import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { BatonError, type ErrorDetail } from '../core/errors.ts';
import type { Registry } from '../actions/registry.ts';
import type { CompiledFlow } from '../flow/compiled.ts';
import { isTsFlowFileName } from '../flow/file-names.ts';
import { checkFlowText } from '../flow/load.ts';
import { summarize } from '../flow/yaml-source.ts';
import type { Project } from '../project/load.ts';
import { projectProblems, type FlowReload, type FlowReloadItem } from './reload.ts';

export interface DraftCheck {
  /** The draft's version (content hash) when it loads. */
  version?: string;
  /** What keeps it from loading, each with line, column and field of the draft's text. */
  errors: ErrorDetail[];
}

/** The live flow whose file the console may edit: 404 for an unknown flow, 409 for a TypeScript one. */
export function editableFlow(project: Project, flowId: string): CompiledFlow {
  const live = project.flows.get(flowId);
  if (!live) throw new BatonError('not_found', `flow ${flowId} does not exist`);
  if (isTsFlowFileName(live.file))
    throw new BatonError(
      'conflict',
      `flow ${flowId} is written in TypeScript (${path.relative(project.dir, live.file)}): edit that file; the console edits YAML flow files only`,
    );
  return live;
}

/** Checks a draft of a flow's file as a reload would, against the rest of the project. */
export function checkDraft(project: Project, registry: Registry, flowId: string, text: string): DraftCheck {
  const live = editableFlow(project, flowId);
  const { flow, errors } = checkFlowText(text, live.file);
  if (flow) {
    if (flow.def.id !== flowId)
      errors.push({
        file: live.file,
        path: 'id',
        message: `the id stays "${flowId}" (handoffs and triggers name it): write a new file for another flow`,
      });
    // Checked beside the other live flows (triggers may clash), reporting only the draft's file.
    const others = [...project.flows.values()].filter((f) => f.def.id !== flowId);
    errors.push(...projectProblems([...others, flow], project, registry).filter((e) => e.file === live.file));
  }
  const relative = errors.map((e) => (e.file ? { ...e, file: path.relative(project.dir, e.file) } : e));
  return errors.length === 0 && flow ? { version: flow.version, errors: [] } : { errors: relative };
}

/** A flow file as it is on disk now (what a save replaces); a missing one reads as empty. */
export function fileOnDisk(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export interface SavedFlow {
  id: string;
  version: string;
  /** The version live before the save. */
  previous: string;
  file: string;
  change: FlowReloadItem['change'];
}

/**
 * Writes a checked draft over the flow's file and reloads. Refused (409) when the flow's live
 * version is not `expectedVersion` or its file on disk is not the text that version was loaded
 * from (someone changed it meanwhile), and (422) when the draft does not load.
 */
export async function saveFlow(
  project: Project,
  registry: Registry,
  flowId: string,
  text: string,
  expectedVersion: string,
  reload: () => Promise<FlowReload>,
): Promise<SavedFlow> {
  const live = editableFlow(project, flowId);
  if (live.version !== expectedVersion)
    throw new BatonError(
      'conflict',
      `flow ${flowId} changed since this draft began (live version ${live.version.slice(0, 12)}, the draft's base ${expectedVersion.slice(0, 12)}): start again from the live flow`,
      { context: { flow: flowId, version: live.version } },
    );
  if (fileOnDisk(live.file) !== live.source)
    throw new BatonError(
      'conflict',
      `${path.relative(project.dir, live.file)} changed on disk since flow ${flowId} was loaded: reload the flows, then edit again`,
      { context: { flow: flowId } },
    );
  const check = checkDraft(project, registry, flowId, text);
  if (check.errors.length > 0)
    throw new BatonError(
      'flow_invalid',
      summarize(`the draft of flow ${flowId} does not load`, check.errors),
      {
        details: check.errors,
      },
    );
  writeAtomically(live.file, text);
  const result = await reload();
  const item = result.flows.find((f) => f.id === flowId);
  const mine = result.errors.filter((e) => e.file === path.relative(project.dir, live.file));
  if (!item || item.change === 'kept' || mine.length > 0)
    throw new BatonError('flow_invalid', summarize(`flow ${flowId} was written but did not load`, mine), {
      details: mine,
    });
  return { id: flowId, version: item.version, previous: live.version, file: item.file, change: item.change };
}

/** Temp file beside it, flushed, then renamed over it: a reader sees the old text or the new, never half. */
function writeAtomically(file: string, text: string): void {
  // Not a flow file name (it ends in .tmp), so a reload in between never reads it.
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  // The new file keeps the old one's permissions.
  const fd = openSync(temp, 'wx', statSync(file).mode & 0o777);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(temp, file);
  } catch (e) {
    rmSync(temp, { force: true });
    throw e;
  }
}
