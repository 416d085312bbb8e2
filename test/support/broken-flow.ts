// A flow whose only action always fails (the remote system says no): a failed handoff to retry,
// a failed action to resolve. Files to add to a throwaway project.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './project.ts';

const zodUrl = pathToFileURL(path.join(ROOT, 'node_modules/zod/index.js')).href;

export const BROKEN_FLOW_FILES: Record<string, string> = {
  'actions/broken.mjs': `import { z } from '${zodUrl}';
export const broken = {
  id: 'test.broken', risk: 'low', idempotent: true, params: z.object({ n: z.string() }),
  async run() { throw new Error('remote system said no'); },
};`,
  'flows/broken.yaml': `id: broken
name: Broken
boundary: { from: team:ops, to: team:support }
input: { type: object, required: [id], properties: { id: { type: string } } }
idempotencyKey: input.id
decide: { otherwise: { owner: user:kim } }
actions:
  - { id: call, use: test.broken, with: { n: '\${input.id}' }, retry: { attempts: 1 } }
handoff: { to: '\${decision.owner}' }
`,
};
