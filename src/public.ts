// What a project imports from Baton (`import { defineAction, z } from 'baton'`): the functions
// and types for its own actions, context sources and TypeScript flows, the zod that checks their
// parameters, the outbound request that keeps the project's outbound policy (for actions that call
// other systems), and the scripted decider for its tests. Nothing else is public.
export { z } from 'zod';
export {
  defineAction,
  defineContextSource,
  type ActionContext,
  type ActionDefinition,
  type ContextSource,
} from './actions/define.ts';
export { defineFlow, type FlowDefinition } from './flow/define.ts';
export { BatonError, type ErrorCode, type ErrorDetail } from './core/errors.ts';
export { scriptedDecider, type Script, type ScriptedAnswer } from './decide/scripted.ts';
export type { RiskLevel } from './core/flow-schema.ts';
export { outboundRequest, type OutboundAnswer, type OutboundRequest } from './outbound/request.ts';
export type { OutboundPolicy } from './outbound/policy.ts';
