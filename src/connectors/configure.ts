// Reading `connectors:` of baton.yaml: each entry's type (default: its name) and settings,
// checked against the connector's schema when the project loads (so `baton validate` names the
// field and line), then opened when Baton starts, adding `NAME.action` and `NAME.source` to
// the registry. Secrets are known by their field, so they can be masked and scrubbed.
import type { z } from 'zod';
import type { Registry } from '../actions/registry.ts';
import type { AnyAction, ContextSource } from '../actions/define.ts';
import { BatonError, errorText } from '../core/errors.ts';
import type { SettingsProblem } from '../channels/config.ts';
import type { ConnectorContext, ConnectorDefinition, ConnectorInstance } from './define.ts';
import { CHANNEL_ONLY_TYPES, CONNECTOR_TYPES } from './catalog.ts';
import { wrapConnector } from './wrap.ts';

export interface ConfiguredConnector {
  name: string;
  type: string;
  definition: ConnectorDefinition<never>;
  settings: unknown;
  /** The values of its secret fields (to scrub from errors). */
  secretValues: string[];
  /** The settings with secrets shown as *** (for `baton connectors`). */
  display: Record<string, unknown>;
}

const NAME = /^[a-z][a-z0-9_-]*$/;
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The configured connectors, and the problems of the entries that are wrong. `skip`: entries
 * read elsewhere (`email` and `slack` are channels, checked by src/channels/config.ts).
 */
export function readConnectors(
  connectors: Record<string, unknown>,
  skip: ReadonlySet<string> = new Set(),
): {
  configured: ConfiguredConnector[];
  problems: SettingsProblem[];
} {
  const configured: ConfiguredConnector[] = [];
  const problems: SettingsProblem[] = [];
  for (const [name, entry] of Object.entries(connectors)) {
    if (skip.has(name)) continue;
    const path = ['connectors', name];
    if (!NAME.test(name)) {
      problems.push({ path, message: 'a connector name is lower case letters, digits, - and _' });
      continue;
    }
    if (!isRecord(entry)) {
      problems.push({ path, message: 'expected the connector settings (a mapping)' });
      continue;
    }
    const { type: declared, ...rest } = entry;
    const type = declared === undefined ? name : declared;
    if (typeof type !== 'string') {
      problems.push({ path: [...path, 'type'], message: 'expected a connector type' });
      continue;
    }
    if (CHANNEL_ONLY_TYPES.has(type)) continue;
    const definition = CONNECTOR_TYPES.get(type);
    if (!definition) {
      const known = [...CONNECTOR_TYPES.keys(), ...CHANNEL_ONLY_TYPES].sort().join(', ');
      problems.push({
        path: declared === undefined ? path : [...path, 'type'],
        message: `unknown connector type ${type} (known: ${known})${declared === undefined ? '; name the type with `type:`' : ''}`,
      });
      continue;
    }
    const parsed = (definition.settings as z.ZodType).safeParse(rest);
    if (!parsed.success) {
      problems.push({ path, issues: parsed.error });
      continue;
    }
    configured.push(configuredConnector(name, definition, parsed.data));
  }
  return { configured, problems };
}

/** A connector from settings already checked against its schema. */
export function configuredConnector(
  name: string,
  definition: ConnectorDefinition<never>,
  settings: unknown,
): ConfiguredConnector {
  const secretValues: string[] = [];
  const display: Record<string, unknown> = { ...(isRecord(settings) ? settings : {}) };
  for (const field of definition.secrets) {
    const v = isRecord(settings) ? settings[field] : undefined;
    if (v === undefined) continue;
    secretValues.push(...stringsOf(v));
    display[field] = '***';
  }
  return { name, type: definition.type, definition, settings, secretValues, display };
}

const stringsOf = (v: unknown): string[] =>
  typeof v === 'string' ? [v] : isRecord(v) || Array.isArray(v) ? Object.values(v).flatMap(stringsOf) : [];

export interface OpenConnector {
  configured: ConfiguredConnector;
  instance: ConnectorInstance;
}

/**
 * Opens every configured connector and adds its actions and sources to the registry. A
 * connector that cannot open (an MCP server that does not start) fails the start with its name.
 */
export async function openConnectors(
  configured: readonly ConfiguredConnector[],
  registry: Registry,
  ctx: Omit<ConnectorContext, 'name'>,
): Promise<OpenConnector[]> {
  const open: OpenConnector[] = [];
  try {
    for (const c of configured) {
      let raw: ConnectorInstance;
      try {
        raw = await c.definition.open(c.settings as never, { name: c.name, ...ctx });
      } catch (e) {
        throw new BatonError(
          'project_invalid',
          `connector ${c.name} (${c.type}) did not open: ${errorText(e)}`,
          {
            details: [{ path: `connectors.${c.name}`, message: errorText(e) }],
          },
        );
      }
      const instance = wrapConnector(c.name, raw, c.secretValues);
      open.push({ configured: c, instance });
      for (const a of instance.actions) registry.addAction(a as AnyAction);
      for (const s of instance.sources) registry.addSource(s as ContextSource<never>);
    }
  } catch (e) {
    await closeConnectors(open);
    throw e;
  }
  return open;
}

export async function closeConnectors(open: readonly OpenConnector[]): Promise<void> {
  await Promise.allSettled(open.map(async (o) => o.instance.close?.()));
}
