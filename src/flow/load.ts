// Loading flow files: `parseFlow(text, file)` for one text, `loadFlowFile(path)` for one file,
// `loadFlowsDir(dir)` for a folder (every *.yaml / *.yml except *.cases.yaml eval cases, and
// every *.flow.ts written with defineFlow: see load-ts.ts).
// Any problem throws BatonError('flow_invalid') whose details list every problem found, each
// with file, line, column and field path (`decide.rules[1].when`).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BatonError, type ErrorDetail } from '../core/errors.ts';
import type { CompiledFlow } from './compiled.ts';
import { errnoCode, errorMessage } from './io.ts';
import { compileFlowData, type FlowCheckResult } from './compile.ts';
import { sortDetails, summarize, YamlSource } from './yaml-source.ts';
import { checkTsFlowFile } from './load-ts.ts';
import { isFlowFileName, isTsFlowFileName } from './file-names.ts';

export { isFlowFileName } from './file-names.ts';

/** Checks one flow text; never throws for problems in the text, returns them instead. */
export function checkFlowText(text: string, file: string): FlowCheckResult {
  const src = new YamlSource(text, file);
  const syntax = src.syntaxErrors();
  if (syntax.length > 0) return { errors: syntax };
  let data: unknown;
  try {
    data = src.toJS();
  } catch (e) {
    return { errors: [src.detail([], `YAML: ${errorMessage(e)}`)] };
  }
  const result = compileFlowData(data, src);
  sortDetails(result.errors);
  return result;
}

function invalid(what: string, details: ErrorDetail[]): BatonError {
  return new BatonError('flow_invalid', summarize(what, details), { details });
}

/** Parses and compiles one flow; throws BatonError('flow_invalid') listing every problem. */
export function parseFlow(text: string, file: string): CompiledFlow {
  const { flow, errors } = checkFlowText(text, file);
  if (!flow) throw invalid(`flow ${file} is invalid`, errors);
  return flow;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') {
      throw new BatonError('not_found', `flow file ${path} does not exist`, { context: { file: path } });
    }
    throw new BatonError('flow_invalid', `cannot read flow file ${path}: ${errorMessage(e)}`, { cause: e });
  }
}

/** One flow file, YAML or TypeScript; throws BatonError('flow_invalid') listing every problem. */
export async function loadFlowFile(path: string): Promise<CompiledFlow> {
  if (!isTsFlowFileName(path)) return parseFlow(readText(path), path);
  readText(path); // the same "does not exist" as for YAML
  const { flow, errors } = await checkTsFlowFile(path, checkFlowText);
  if (!flow) throw invalid(`flow ${path} is invalid`, errors);
  return flow;
}

/**
 * Checks every flow file of a folder, YAML and TypeScript; a missing folder has no flows.
 * `projectDir` is where a TypeScript flow's load error is looked for in the stack.
 */
export async function checkFlowsDir(
  dir: string,
  projectDir?: string,
): Promise<{ flows: Map<string, CompiledFlow>; errors: ErrorDetail[] }> {
  const flows = new Map<string, CompiledFlow>();
  const errors: ErrorDetail[] = [];
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => isFlowFileName(n) || isTsFlowFileName(n))
      .sort();
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return { flows, errors };
    throw new BatonError('flow_invalid', `cannot read the flows folder ${dir}: ${errorMessage(e)}`, {
      cause: e,
    });
  }
  for (const name of names) {
    const file = join(dir, name);
    if (!statSync(file).isFile()) continue;
    const result = isTsFlowFileName(name)
      ? await checkTsFlowFile(file, checkFlowText, projectDir)
      : checkFlowText(readText(file), file);
    errors.push(...result.errors);
    const flow = result.flow;
    if (!flow) continue;
    const other = flows.get(flow.def.id);
    if (other) {
      errors.push({
        file,
        ...(isTsFlowFileName(name) ? {} : lineOfId(flow)),
        path: 'id',
        message: `duplicate flow id "${flow.def.id}": ${other.file} has the same id`,
      });
      continue;
    }
    flows.set(flow.def.id, flow);
  }
  return { flows, errors };
}

function lineOfId(flow: CompiledFlow): { line: number; column: number } {
  return new YamlSource(flow.source, flow.file).locate(['id']);
}

/** Loads every flow of a folder; throws BatonError('flow_invalid') with the problems of all files. */
export async function loadFlowsDir(dir: string): Promise<Map<string, CompiledFlow>> {
  const { flows, errors } = await checkFlowsDir(dir);
  if (errors.length > 0) throw invalid(`flows in ${dir} are invalid`, errors);
  return flows;
}
