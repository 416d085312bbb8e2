// Flows the handoff and inbox browser tests add to the example project: a suggest-mode triage
// (a person confirms each routing in one click; team:support confirms, its fallback owner), and
// a flow whose one action always fails (a failed handoff to retry or resolve; team:ops gets it).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../../support/project.ts';

const zodUrl = pathToFileURL(path.join(ROOT, 'node_modules/zod/index.js')).href;
export const SUGGEST_FLOW = `id: triage-suggest
name: Ticket triage (suggest mode)
boundary: { from: team:support, to: team:eng-tier2 }
trigger: { webhook: {} }
input:
  type: object
  required: [id, title]
  properties: { id: { type: string }, title: { type: string } }
idempotencyKey: input.id
decide:
  rules:
    - { name: outage, when: "input.title.contains('down')", owner: team:eng-oncall }
  otherwise: { owner: team:eng-tier2 }
actions: []
mode: suggest
handoff: { to: '\${decision.owner}', fallbackOwner: team:support }
`;

const BROKEN_ACTION = `import { z } from '${zodUrl}';
export const broken = {
  id: 'test.broken', risk: 'low', idempotent: true, params: z.object({ n: z.string() }),
  async run() { throw new Error('the remote system said no'); },
};
`;

const BROKEN_FLOW = `id: broken
name: Always fails
boundary: { from: team:ops, to: team:support }
trigger: { webhook: {} }
input: { type: object, required: [id], properties: { id: { type: string } } }
idempotencyKey: input.id
decide: { otherwise: { owner: team:support } }
actions:
  - { id: call, use: test.broken, with: { n: '\${input.id}' }, retry: { attempts: 1 } }
handoff: { to: '\${decision.owner}', fallbackOwner: team:ops }
`;

export const WORK_FILES = {
  'flows/triage-suggest.yaml': SUGGEST_FLOW,
  'actions/broken.mjs': BROKEN_ACTION,
  'flows/broken.yaml': BROKEN_FLOW,
};

/** A lead with no amount and no known account: team:sales-ops qualifies it (ops is a member). */
export const plainLead = (id: string) => ({
  id,
  company: `Co ${id}`,
  email: `jo@${id.toLowerCase()}.example`,
});

/** A lead of 90,000 asked for by kim: its quote waits for a sales manager (sam). */
export const bigLead = (id: string) => ({
  id,
  company: 'Big',
  email: `x@${id.toLowerCase()}.example`,
  amount: 90000,
  submittedBy: 'kim',
});
