// A project-level check of vendor webhook triggers: a `trigger.webhooks.NAME` whose connector is
// configured must be of a type that has webhooks, with the secret that verifies them. A connector
// that is not configured at all leaves the trigger off (as a connector's action falls back):
// `baton validate` warns, `baton flows` and the banner say so, and the route answers 404.
import type { ErrorDetail } from '../../core/errors.ts';
import type { ConfiguredConnector } from '../../connectors/configure.ts';
import type { CompiledFlow } from '../../flow/compiled.ts';
import { YamlSource } from '../../flow/yaml-source.ts';
import { WEBHOOK_VENDORS } from './registry.ts';

/** Names under /v1/intake/ that Baton's own routes take. */
const RESERVED = new Set(['failed', 'triggers', 'attachments', 'slack']);

export function checkWebhookTriggers(
  flows: Iterable<CompiledFlow>,
  connectors: readonly ConfiguredConnector[],
): ErrorDetail[] {
  const byName = new Map(connectors.map((c) => [c.name, c]));
  const kinds = [...WEBHOOK_VENDORS.keys()].join(', ');
  const errors: ErrorDetail[] = [];
  for (const f of flows) {
    for (const name of Object.keys(f.def.trigger.webhooks ?? {})) {
      if (RESERVED.has(name)) {
        errors.push(
          new YamlSource(f.source, f.file).detail(
            ['trigger', 'webhooks', name],
            `a connector named ${name} cannot take webhooks: /v1/intake/${name}/… is Baton's own route; rename the connector`,
          ),
        );
        continue;
      }
      const c = byName.get(name);
      if (!c) continue;
      const vendor = WEBHOOK_VENDORS.get(c.type);
      const why = !vendor
        ? `connector ${name} is of type ${c.type}, which has no webhooks Baton verifies (types with webhooks: ${kinds})`
        : !vendor.secretOf(c.settings)
          ? `connector ${name} has no ${vendor.secretSetting}: its webhooks cannot be verified (set connectors.${name}.${vendor.secretSetting})`
          : undefined;
      if (why) errors.push(new YamlSource(f.source, f.file).detail(['trigger', 'webhooks', name], why));
    }
  }
  return errors;
}
