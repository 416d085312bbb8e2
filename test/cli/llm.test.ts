// `baton validate` on a project whose flow decides with a model: missing prices, unknown
// providers and missing models are refused with file, line and field.
import { describe, expect, it } from 'vitest';
import { cliProject } from './run.ts';
import { MODELS_YAML, projectFiles, TRIAGE_FLOW } from '../support/llm-project.ts';

describe('baton validate with decide.llm', () => {
  it('accepts a priced model and refuses an unpriced one, an unknown provider and no model', async () => {
    const ok = cliProject(projectFiles());
    try {
      const r = await ok.run(['validate']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    } finally {
      ok.cleanup();
    }
    const bad = cliProject(
      projectFiles(
        TRIAGE_FLOW.replace(
          'model: openai:gpt-test',
          'model: openai:gpt-unpriced\n    fallback: nowhere:model',
        ),
        MODELS_YAML,
      ),
    );
    try {
      const r = await bad.run(['validate']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /flows\/triage\.yaml:\d+:\d+: decide\.llm\.model: model openai:gpt-unpriced has no price/,
      );
      expect(r.stderr).toMatch(/decide\.llm\.fallback: model "nowhere:model": unknown provider nowhere/);
    } finally {
      bad.cleanup();
    }
    const none = cliProject(
      projectFiles(TRIAGE_FLOW.replace('    model: openai:gpt-test\n', ''), 'models: {}\n'),
    );
    try {
      const r = await none.run(['validate']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        'decide.llm.model: no model: name one here or set models.default in baton.yaml',
      );
    } finally {
      none.cleanup();
    }
  });
});
