// `defineFlow` for flows written in TypeScript (`flows/NAME.flow.ts`): the same schema as a YAML
// flow file, with the editor's type checking. The loader validates it exactly as it does YAML.
//
//   import { defineFlow } from 'baton';
//   export default defineFlow({ id: 'lead-routing', name: 'Lead to sales', … });
import type { FlowInputDef } from '../core/flow-schema.ts';

export type FlowDefinition = FlowInputDef;

export function defineFlow<const F extends FlowDefinition>(def: F): F {
  return def;
}
