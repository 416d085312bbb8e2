// Your own actions: every `defineAction(...)` (or `defineContextSource(...)`) this folder exports
// is usable by its id in a flow's `actions:` list (flows/lead-routing.yaml uses this one).
// `baton validate` loads each file; `baton eval` records calls instead of running them.
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { defineAction, z } from 'baton';

/** A stand-in for a CRM: one JSON line per lead in data/leads.jsonl. Replace it with your API call. */
const LOG = new URL('../data/leads.jsonl', import.meta.url);

export const logLead = defineAction({
  id: 'crm.log_lead',
  description: 'Records the lead and its new owner in data/leads.jsonl',
  risk: 'low',
  // Calling again with the same key changes nothing, so Baton may retry it after a crash.
  idempotent: true,
  params: z.object({ lead: z.string(), company: z.string(), owner: z.string() }),
  async run(p, ctx) {
    const text = await readFile(LOG, 'utf8').catch(() => '');
    if (text.split('\n').some((line) => line.includes(JSON.stringify(ctx.idempotencyKey))))
      return { logged: false };
    await mkdir(new URL('.', LOG), { recursive: true });
    await appendFile(LOG, `${JSON.stringify({ key: ctx.idempotencyKey, ...p })}\n`);
    return { logged: true };
  },
});
