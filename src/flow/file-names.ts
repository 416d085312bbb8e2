// Which files of a flows folder are flows and where each flow's eval cases are. No parsing here:
// the CLI's start-up code uses these names without loading the flow compiler.

/** TypeScript flows: `NAME.flow.ts` (or .flow.mts / .flow.js / .flow.mjs), written with defineFlow. */
export const TS_FLOW_FILE = /\.flow\.(ts|mts|js|mjs)$/i;

export function isTsFlowFileName(name: string): boolean {
  return TS_FLOW_FILE.test(name);
}

/** Whether a file name is a YAML flow file (not an eval-cases file). */
export function isFlowFileName(name: string): boolean {
  return /\.ya?ml$/i.test(name) && !/\.cases\.ya?ml$/i.test(name);
}

/** `flows/NAME.yaml` or `flows/NAME.flow.ts` → `flows/NAME.cases.yaml`, where its eval cases are. */
export function casesFileOf(flowFile: string): string {
  return flowFile.replace(TS_FLOW_FILE, '.cases.yaml').replace(/(?<!\.cases)\.ya?ml$/i, '.cases.yaml');
}
