// A project with a flow that decides with a model where no rule matches: support tickets to the
// right engineering queue. Used by the decision-layer tests with a scripted decider or the local
// model server.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EXAMPLES, openTemp } from './project.ts';
import type { OpenOptions } from '../../src/service/baton.ts';

export const TRIAGE_FLOW = `
id: triage
name: Ticket triage
boundary: { from: team:support, to: team:eng-tier2 }
input:
  type: object
  required: [id, subject, body]
  properties:
    id: { type: string, pattern: "^T-[0-9]+$" }
    subject: { type: string }
    body: { type: string }
    amount: { type: number }
    customerEmail: { type: string, format: email }
idempotencyKey: input.id
decide:
  rules:
    - { name: big, when: "has(input.amount) && input.amount > 100000.0", owner: team:eng-oncall, actions: [ticket] }
  llm:
    model: openai:gpt-test
    instructions: Route by the kind of problem; outages go to on-call.
    owners: [team:eng-oncall, team:eng-tier2]
    minConfidence: 0.6
  otherwise: { owner: team:eng-tier2, actions: [ticket] }
actions:
  - { id: ticket, use: builtin.create_task, with: { title: "Fix: \${input.subject}", assignee: "\${decision.owner}" } }
  - { id: reply, use: builtin.draft_reply, with: { body: "We are on it", to: "\${input.customerEmail}" } }
  - { id: webhook, use: http.post, with: { url: "http://127.0.0.1:9/hook", body: { id: "\${input.id}" } } }
  - { id: wipe, use: builtin.create_task, risk: high, with: { title: "Delete customer data", assignee: "\${decision.owner}" } }
guardrails: { costCap: { perHandoff: 0.05, perDay: 1 } }
`;

export const MODELS_YAML = `
models:
  default: openai:gpt-test
  timeout: 5s
  retries: 0
  maxOutputTokens: 256
  prices:
    "openai:gpt-test": { input: 2, output: 8, cached: 0.5 }
    "openai-chat:gpt-test": { input: 2, output: 8 }
    "anthropic:claude-test": { input: 3, output: 15 }
`;

export function projectFiles(flow = TRIAGE_FLOW, models = MODELS_YAML): Record<string, string> {
  const base = readFileSync(path.join(EXAMPLES, 'baton.yaml'), 'utf8');
  return { 'baton.yaml': `${base}\n${models}`, 'flows/triage.yaml': flow };
}

export function openLlm(options: Partial<OpenOptions> = {}, flow?: string, models?: string) {
  return openTemp(projectFiles(flow, models), { worker: false, ...options });
}

export const answer = (over: Record<string, unknown> = {}) => ({
  owner: 'team:eng-oncall',
  actions: ['ticket'],
  confidence: 0.9,
  rationale: 'The body describes an outage.',
  evidence: ['input.body'],
  ...over,
});

export const ticket = (over: Record<string, unknown> = {}) => ({
  id: 'T-1',
  subject: 'Exports fail',
  body: 'Since this morning every export returns 500.',
  ...over,
});
