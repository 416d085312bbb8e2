// What a connector is: a configured external system (baton.yaml `connectors.NAME`) that adds
// actions and context sources to the registry. Each connector type lives in its own folder under
// src/connectors/ with one file declaring it (settings, actions, sources) and one wiring the
// vendor's SDK. The engine never sees a connector: only its actions and sources, named
// `NAME.action` (e.g. `hubspot.update_deal`), as if a project had defined them.
//
//   export const hubspot = defineConnector({
//     type: 'hubspot',
//     description: 'HubSpot CRM',
//     settings: z.strictObject({ token: z.string(), basePath: z.url().optional() }),
//     secrets: ['token'],
//     open(settings, ctx) {
//       const client = new Client({ accessToken: settings.token, basePath: settings.basePath });
//       return { actions: [...], sources: [...], check: async (signal) => '...' };
//     },
//   });
import type { z } from 'zod';
import type { ActionDefinition, ContextSource } from '../actions/define.ts';
import type { OutboundPolicy } from '../outbound/policy.ts';
import type { Person } from '../core/project-schema.ts';

/** The people of baton.yaml, for connectors that reach an owner (Slack ids, emails). */
export interface People {
  /** The users an owner stands for: the user, a team's members and manager, a role's holders. */
  usersOf(owner: string): string[];
  person(id: string): Person | undefined;
  /** The person with this email, if any (a CRM owner as a Baton user). */
  personByEmail?(email: string): Person | undefined;
}

export interface ConnectorContext {
  /** The entry's name in baton.yaml (`connectors.NAME`): its actions are `NAME.<action id>`. */
  readonly name: string;
  /** Where outbound calls may go (baton.yaml `outbound`): a configured base URL is checked too. */
  readonly outbound: OutboundPolicy;
  /** The project folder: relative paths in settings (a key file, a SQLite file) resolve from it. */
  readonly projectDir: string;
  readonly people: People;
}

// `any` here is what lets each action keep its own parameter and result types (defineAction
// infers them) inside one list; the registry validates parameters with the action's schema.
/** An action of a connector; `id` is local (`update_deal`), the registry prefixes the name. */
export type ConnectorAction = ActionDefinition<any, any>;
/** A context source of a connector; `id` is local (`find_company`). */
export type ConnectorSource = ContextSource<any>;

export interface ConnectorInstance {
  readonly actions: readonly ConnectorAction[];
  readonly sources: readonly ConnectorSource[];
  /**
   * Verifies credentials and reachability with one read call (`baton connectors check`).
   * Resolves to what it found ("authenticated as portal 123"); throws a BatonError that says
   * what to fix (a wrong token, an unreachable base URL) otherwise.
   */
  check(signal: AbortSignal): Promise<string>;
  /** Releases connections and child processes (an MCP server) when Baton stops. */
  close?(): Promise<void>;
}

export interface ConnectorDefinition<S = unknown> {
  /** The connector type: `connectors.NAME.type`, which defaults to NAME. */
  readonly type: string;
  readonly description: string;
  /** The settings under `connectors.NAME` (without `type`), with `${ENV}` already resolved. */
  readonly settings: z.ZodType<S>;
  /**
   * Top-level setting fields that hold credentials: shown as `***` by `baton connectors`, and
   * their values are replaced by `***` in every error the connector throws.
   */
  readonly secrets: readonly string[];
  /** Settings fields that are base URLs (checked against the outbound policy at start). */
  readonly baseUrls?: readonly string[];
  open(settings: S, ctx: ConnectorContext): ConnectorInstance | Promise<ConnectorInstance>;
}

export function defineConnector<S>(def: ConnectorDefinition<S>): ConnectorDefinition<S> {
  return def;
}
