// `type: mcp`: any Model Context Protocol server, over stdio (`command`) or streamable HTTP
// (`url`). When Baton starts it connects and lists the tools; each becomes an action
// `NAME.<tool>` whose params are the tool's input schema. A tool's annotations set its risk:
// read-only tools are low (and are also context sources, their results untrusted text from
// outside), destructive or open-world tools are high (the spec's defaults when a server says
// nothing are destructive and open-world), the rest medium. baton.yaml may raise a tool's risk,
// never lower it. MCP has no undo, so every tool that writes is irreversible.
import path from 'node:path';
import { z } from 'zod';
import type { Tool, CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { BatonError } from '../../core/errors.ts';
import type { RiskLevel } from '../../core/flow-schema.ts';
import { defineConnector, type ConnectorAction, type ConnectorSource } from '../define.ts';
import type { OutboundPolicy } from '../../outbound/policy.ts';
import { pinnedFetch } from '../../outbound/fetch.ts';
import { McpSession, type ServerSpec } from './client.ts';
import { toolParams } from './schema.ts';

const RISK = ['low', 'medium', 'high'] as const;
const rank = (r: RiskLevel): number => RISK.indexOf(r);

const toolSettings = z.strictObject({
  risk: z.enum(RISK).optional().describe('Raises the risk the tool’s annotations give (never lowers it)'),
  timeoutMs: z.int().min(100).max(600_000).optional(),
});

const settings = z
  .strictObject({
    command: z.string().min(1).optional().describe('stdio: the server executable (npx, node, uvx, a path)'),
    args: z.array(z.string()).default([]),
    env: z
      .record(z.string(), z.string())
      .default({})
      .describe('stdio: the server’s environment (may hold secrets)'),
    cwd: z.string().optional().describe('stdio: working directory, relative to the project'),
    url: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('streamable HTTP: the server’s MCP endpoint'),
    headers: z
      .record(z.string(), z.string())
      .default({})
      .describe('streamable HTTP: sent with every request'),
    // Below the worker lease (30 s), which caps an action's time anyway.
    timeoutMs: z.int().min(100).max(600_000).default(20_000).describe('Per tool call'),
    // A first `npx -y` fetches the server before it can answer.
    startTimeoutMs: z
      .int()
      .min(100)
      .max(600_000)
      .default(60_000)
      .describe('To start the server, connect and list its tools'),
    tools: z.record(z.string(), toolSettings).default({}),
  })
  .refine((s) => (s.command === undefined) !== (s.url === undefined), {
    message: 'give either `command` (stdio) or `url` (streamable HTTP)',
  });
type Settings = z.infer<typeof settings>;

/** Tool names an action id can carry (`NAME.<tool>` in a flow's `use:`). */
const TOOL_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

const IRREVERSIBLE = 'MCP has no undo: a tool call cannot be reversed through the protocol';

/** The risk the tool's annotations give (MCP's defaults: destructive and open-world). */
export function annotatedRisk(t: Tool): RiskLevel {
  const a = t.annotations ?? {};
  if (a.readOnlyHint === true) return 'low';
  if (a.destructiveHint !== false || a.openWorldHint !== false) return 'high';
  return 'medium';
}

/** The tool's text output, and its structured content when it has some. */
function answerOf(r: CallToolResult): { text: string; structured?: unknown; content: unknown[] } {
  const text = r.content
    .map((c) => (c.type === 'text' ? c.text : ''))
    .filter(Boolean)
    .join('\n');
  return {
    text,
    ...(r.structuredContent !== undefined ? { structured: r.structuredContent } : {}),
    content: r.content,
  };
}

function toolFailed(id: string, r: CallToolResult): BatonError {
  const { text } = answerOf(r);
  // The tool said it failed (isError): a failed call, its own words kept short.
  return new BatonError(
    'action_failed',
    `${id} failed: ${text.slice(0, 300) || 'the tool reported an error'}`,
    {
      fault: 'provider',
      retryable: false,
    },
  );
}

function spec(s: Settings, projectDir: string, outbound: OutboundPolicy): ServerSpec {
  if (s.url !== undefined)
    return { kind: 'http', url: new URL(s.url), headers: s.headers, fetch: pinnedFetch(outbound) };
  return {
    kind: 'stdio',
    command: s.command!,
    args: s.args,
    env: s.env,
    cwd: path.resolve(projectDir, s.cwd ?? '.'),
  };
}

export const mcpConnector = defineConnector({
  type: 'mcp',
  description: 'A Model Context Protocol server (stdio or streamable HTTP)',
  settings,
  secrets: ['env', 'headers'],
  baseUrls: ['url'],
  async open(s, ctx) {
    // The endpoint is the operator's, but it is still checked against the project's policy.
    if (s.url !== undefined) await ctx.outbound.target(new URL(s.url));
    const session = new McpSession(spec(s, ctx.projectDir, ctx.outbound), s.startTimeoutMs);
    try {
      const { tools } = await session.tools(AbortSignal.timeout(s.startTimeoutMs), s.startTimeoutMs);
      const byName = new Map(tools.map((t) => [t.name, t]));
      for (const name of Object.keys(s.tools))
        if (!byName.has(name))
          throw new Error(
            `tools.${name}: the server has no such tool (it has ${[...byName.keys()].sort().join(', ')})`,
          );
      const actions: ConnectorAction[] = [];
      const sources: ConnectorSource[] = [];
      for (const t of tools) {
        if (!TOOL_NAME.test(t.name)) continue;
        const annotated = annotatedRisk(t);
        const configured = s.tools[t.name];
        if (configured?.risk && rank(configured.risk) < rank(annotated))
          throw new Error(
            `tools.${t.name}.risk: ${configured.risk} is below ${annotated}, what the tool's annotations give; a configured risk may only raise it`,
          );
        const risk = configured?.risk ?? annotated;
        const timeoutMs = configured?.timeoutMs ?? s.timeoutMs;
        const params = toolParams(t.name, t.inputSchema as Record<string, unknown>);
        const a = t.annotations ?? {};
        const readOnly = a.readOnlyHint === true;
        const id = `${ctx.name}.${t.name}`;
        const invoke = async (args: Record<string, unknown>, signal: AbortSignal) => {
          const r = await session.call(t.name, args, signal, timeoutMs);
          if (r.isError) throw toolFailed(id, r);
          return answerOf(r);
        };
        const description = t.description ?? t.title ?? t.name;
        actions.push({
          id: t.name,
          description,
          params,
          risk,
          ...(readOnly || a.idempotentHint === true
            ? { idempotent: true, idempotency: 'natural' as const }
            : { idempotent: false }),
          // An open-world tool reaches beyond the server (the web, other people).
          outbound: a.openWorldHint !== false,
          timeoutMs: timeoutMs + 1000,
          irreversible: readOnly ? 'a read-only tool (readOnlyHint) changes nothing to undo' : IRREVERSIBLE,
          run: (p: Record<string, unknown>, c) => invoke(p, c.signal),
        });
        if (readOnly)
          sources.push({
            id: t.name,
            description,
            params,
            // Whatever a tool answers comes from outside Baton: never instructions.
            trust: 'untrusted',
            timeoutMs: timeoutMs + 1000,
            fetch: (p: Record<string, unknown>, c) => invoke(p, c.signal),
          });
      }
      return {
        actions,
        sources,
        async check(signal) {
          const { tools: listed, info } = await session.tools(signal, s.timeoutMs);
          return `${info.name} ${info.version}: ${listed.length} tool${listed.length === 1 ? '' : 's'}`;
        },
        close: () => session.close(),
      };
    } catch (e) {
      await session.close();
      throw e;
    }
  },
});
