// Loading a project: `baton.yaml`, the flows folder and the lookup tables.
//
//   const project = await loadProject(dir)        // dir, or the path of baton.yaml itself
//
// A Project is:
//   dir, file          absolute project folder and path of baton.yaml
//   def                the project file, defaults applied, `${ENV}` references in `connectors`
//                      resolved from the environment, then the secrets file (secrets.ts)
//   env                that environment: where provider keys are read
//   flowsDir, tablesDir, actionsDir   absolute folders (from def.flows / def.tables / def.actions)
//   flows              Map flow id → CompiledFlow (every flows/*.yaml except *.cases.yaml, and
//                      every flows/*.flow.ts)
//   tables             Map table name → rows (tables/*.csv: string values; tables/*.yaml: a list)
//   people, teams      Maps id → Person / Team as declared
//   rolesOf(user)      the business roles of a user ([] when unknown)
//   membersOfRole(r)   the ids of the people holding a business role
//   teamsOf(user)      the ids of the teams that list the user as a member
//   managerOf(owner)   `team:x` → its manager; `user:x` → the manager of the first team (in file
//                      order) that lists x as a member and is not managed by x; else undefined
//
// Problems are collected from every file and thrown together as one BatonError whose details
// name file, line, column and field: code `project_invalid` when baton.yaml or a table is at
// fault, `flow_invalid` when only flow files are. The references checked across files: team
// members and managers are declared people; literal `user:`/`team:` owners in flows (boundary,
// rules, otherwise, llm owners, approvers, fallbackOwner, ladder steps) are declared; a literal
// `builtin.lookup` table exists.
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { BatonError, type ErrorDetail } from '../core/errors.ts';
import type { OwnerRef } from '../core/owner.ts';
import { parseOwner } from '../core/owner.ts';
import { projectSchema, type Person, type ProjectDef, type Team } from '../core/project-schema.ts';
import { isRecord } from '../flow/checker.ts';
import type { CompiledFlow } from '../flow/compiled.ts';
import { errnoCode, errorMessage } from '../flow/io.ts';
import { checkFlowsDir } from '../flow/load.ts';
import { formatPath, sortDetails, summarize, YamlSource } from '../flow/yaml-source.ts';
import { resolveEnvRefs, type Env } from './env.ts';
import { readSecrets, SECRETS_FILE_ENV, secretsFileOf } from './secrets.ts';
import {
  checkDelegationFlows,
  checkDirectory,
  checkFlowOwners,
  checkLookupTables,
  knownOwners,
} from './references.ts';
import { loadTables, type TableRows } from './tables.ts';
import { channelSettings, type ChannelSettings } from '../channels/config.ts';
import { configuredConnector, readConnectors, type ConfiguredConnector } from '../connectors/configure.ts';
import { intakeTriggerProblems } from '../intake/triggers-check.ts';
import { slack } from '../connectors/slack/connector.ts';
import { email } from '../connectors/email/connector.ts';
import type { ConnectorDefinition } from '../connectors/define.ts';
import { checkEmailIntake } from '../intake/email/project-checks.ts';

/** `connectors:` entries that are channels, read by channelSettings. */
const CHANNEL_ENTRIES: ReadonlySet<string> = new Set(['email', 'slack']);

export interface Project {
  dir: string;
  file: string;
  def: ProjectDef;
  flowsDir: string;
  tablesDir: string;
  actionsDir: string;
  flows: Map<string, CompiledFlow>;
  tables: Map<string, TableRows>;
  /** Slack and email settings (connectors.slack / connectors.email, or Slack's env variables). */
  channels: ChannelSettings;
  /** The systems of `connectors:` that add actions and context sources (Slack among them). */
  connectors: ConfiguredConnector[];
  /** Where secrets are read (provider keys, `${NAME}`): the environment over the secrets file. */
  env: Env;
  people: Map<string, Person>;
  teams: Map<string, Team>;
  rolesOf(userId: string): string[];
  membersOfRole(role: string): string[];
  teamsOf(userId: string): string[];
  managerOf(owner: string): OwnerRef | undefined;
}

export interface LoadProjectOptions {
  /** Where `${ENV_VAR}` references are looked up; default process.env. */
  env?: Env;
}

export const PROJECT_FILE = 'baton.yaml';

function projectFileOf(path: string): { dir: string; file: string } {
  const abs = resolve(path);
  let isFile = false;
  try {
    isFile = statSync(abs).isFile();
  } catch {
    // Reported when the file is read.
  }
  return isFile ? { dir: dirname(abs), file: abs } : { dir: abs, file: join(abs, PROJECT_FILE) };
}

function readProjectText(file: string, dir: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const message =
      errnoCode(e) === 'ENOENT'
        ? `no ${PROJECT_FILE} in ${dir}: run \`baton init ${dir}\` to create one`
        : `cannot read ${file}: ${errorMessage(e)}`;
    throw new BatonError('project_invalid', message, { details: [{ file, path: '', message }], cause: e });
  }
}

function makeProject(
  paths: { dir: string; file: string },
  def: ProjectDef,
  flows: Map<string, CompiledFlow>,
  tables: Map<string, TableRows>,
  channels: ChannelSettings,
  connectors: ConfiguredConnector[],
  env: Env,
): Project {
  const people = new Map(def.people.map((p) => [p.id, p]));
  const teams = new Map(def.teams.map((t) => [t.id, t]));
  const teamsOf = (userId: string): string[] =>
    def.teams.filter((t) => t.members.includes(userId)).map((t) => t.id);
  return {
    ...paths,
    def,
    flowsDir: resolve(paths.dir, def.flows),
    tablesDir: resolve(paths.dir, def.tables),
    actionsDir: resolve(paths.dir, def.actions),
    flows,
    tables,
    channels,
    connectors,
    env,
    people,
    teams,
    rolesOf: (userId) => [...(people.get(userId)?.roles ?? [])],
    membersOfRole: (role) => def.people.filter((p) => p.roles.includes(role)).map((p) => p.id),
    teamsOf,
    managerOf(owner: string): OwnerRef | undefined {
      const o = parseOwner(owner);
      if (o?.kind === 'team') {
        const m = teams.get(o.id)?.manager;
        return m === undefined ? undefined : `user:${m}`;
      }
      if (o?.kind === 'user') {
        const team = def.teams.find(
          (t) => t.members.includes(o.id) && t.manager !== undefined && t.manager !== o.id,
        );
        return team?.manager === undefined ? undefined : `user:${team.manager}`;
      }
      return undefined;
    },
  };
}

/** Loads and checks a whole project; throws one BatonError listing every problem found. */
export async function loadProject(path: string, options: LoadProjectOptions = {}): Promise<Project> {
  const paths = projectFileOf(path);
  const src = new YamlSource(readProjectText(paths.file, paths.dir), paths.file);
  const projectErrors: ErrorDetail[] = [...src.syntaxErrors()];
  let def: ProjectDef | undefined;
  let channels: ChannelSettings = {};
  let connectors: ConfiguredConnector[] = [];
  if (projectErrors.length === 0) {
    let data: unknown;
    try {
      data = src.toJS() ?? {};
    } catch (e) {
      projectErrors.push(src.detail([], `YAML: ${errorMessage(e)}`));
    }
    if (data !== undefined) {
      const parsed = projectSchema.safeParse(data);
      if (parsed.success) def = parsed.data;
      else projectErrors.push(...src.zodDetails(parsed.error));
    }
  }

  let env: Env = options.env ?? process.env;
  if (def) {
    const secrets = readSecrets(secretsFileOf(env, def.secrets, paths.dir), env, (message) =>
      env[SECRETS_FILE_ENV] ? { path: SECRETS_FILE_ENV, message } : src.detail(['secrets'], message),
    );
    projectErrors.push(...secrets.problems);
    env = secrets.env;
    const resolved = resolveEnvRefs(def.connectors, env, (p, name) => {
      const field = ['connectors', ...p];
      projectErrors.push(
        src.detail(
          field,
          `environment variable ${name} is not set (${formatPath(field)} refers to \${${name}})`,
        ),
      );
    });
    if (isRecord(resolved)) def.connectors = resolved;
    // Mailbox passwords too (written as ${IMAP_PASSWORD}).
    def.intake = resolveEnvRefs(def.intake, env, (p, name) => {
      const field = ['intake', ...p];
      projectErrors.push(
        src.detail(
          field,
          `environment variable ${name} is not set (${formatPath(field)} refers to \${${name}})`,
        ),
      );
    }) as ProjectDef['intake'];
    const checked = channelSettings(def.connectors, env, def.server.publicUrl);
    channels = checked.settings;
    const read = readConnectors(def.connectors, CHANNEL_ENTRIES);
    connectors = read.configured;
    if (channels.slack)
      connectors.unshift(configuredConnector('slack', slack as ConnectorDefinition<never>, channels.slack));
    if (channels.email)
      connectors.unshift(configuredConnector('email', email as ConnectorDefinition<never>, channels.email));
    for (const p of [...checked.problems, ...read.problems]) {
      if (p.issues) projectErrors.push(...src.zodDetails(p.issues, p.path));
      else projectErrors.push(src.detail(p.path, p.message ?? 'invalid'));
    }
    const explicitFallback = src.doc.has('fallbackOwner');
    projectErrors.push(...checkDirectory(def, src, explicitFallback));
  }

  const effective = def ?? projectSchema.parse({});
  const flowsResult = await checkFlowsDir(resolve(paths.dir, effective.flows), paths.dir);
  const flowErrors = [...flowsResult.errors];
  if (def) {
    flowErrors.push(...checkFlowOwners(flowsResult.flows.values(), knownOwners(def)));
  }
  if (def && flowsResult.errors.length === 0)
    projectErrors.push(...checkDelegationFlows(def, src, new Set(flowsResult.flows.keys())));
  if (def) {
    const mail = checkEmailIntake(def, src, flowsResult.flows.values());
    projectErrors.push(...mail.project);
    flowErrors.push(...mail.flows);
  }
  const tables = loadTables(resolve(paths.dir, effective.tables), projectErrors);
  flowErrors.push(...checkLookupTables(flowsResult.flows.values(), new Set(tables.keys())));
  if (def) flowErrors.push(...intakeTriggerProblems(flowsResult.flows.values(), connectors));

  if (projectErrors.length > 0 || flowErrors.length > 0 || !def) {
    const details = [...sortDetails(projectErrors), ...sortDetails(flowErrors)];
    const code = projectErrors.length > 0 ? 'project_invalid' : 'flow_invalid';
    throw new BatonError(code, summarize(`project ${paths.dir} is invalid`, details), { details });
  }
  return makeProject(paths, def, flowsResult.flows, tables, channels, connectors, env);
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/**
 * The store URL to open: `override` (from a flag or BATON_DATABASE_URL; relative SQLite paths
 * resolve against process.cwd()) or the project's `storage` (relative paths resolve against the
 * project folder). SQLite URLs come back as `sqlite:<absolute path>` (or `sqlite::memory:`); a
 * bare path is taken as a SQLite file; other URLs (postgres://…) are returned unchanged.
 */
export function resolveStorageUrl(project: Pick<Project, 'dir' | 'def'>, override?: string): string {
  const fromOverride = override !== undefined && override !== '';
  const url = fromOverride ? override : project.def.storage;
  const base = fromOverride ? process.cwd() : project.dir;
  let rest: string;
  if (/^sqlite:/i.test(url)) rest = url.slice('sqlite:'.length);
  else if (!SCHEME.test(url)) rest = url;
  else return url;
  if (rest.startsWith('//')) rest = rest.slice(2);
  const q = rest.indexOf('?');
  const file = q < 0 ? rest : rest.slice(0, q);
  const query = q < 0 ? '' : rest.slice(q);
  if (file === '' || file === ':memory:') return `sqlite::memory:${query}`;
  return `sqlite:${isAbsolute(file) ? file : resolve(base, file)}${query}`;
}
