// The processor map: every catalogued job has exactly one owner, and a job claimed by two
// features stops start-up naming both.
import { describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/platform/app-context.js';
import { jobCatalogue, type JobName } from '../../src/platform/jobs/catalogue.js';
import { composeProcessors, createProcessors } from '../../src/app/processors.js';

// The factories only close over the context; nothing is called while the map is built.
const ctx = {} as AppContext;

describe('processor map', () => {
  it('has one processor for every catalogued job and nothing else', () => {
    const map = createProcessors(ctx);
    expect(Object.keys(map).sort()).toEqual((Object.keys(jobCatalogue) as JobName[]).sort());
    for (const p of Object.values(map)) expect(typeof p).toBe('function');
  });

  it('refuses a job claimed by two features', () => {
    const noop = async (): Promise<void> => undefined;
    expect(() => composeProcessors(ctx, { first: () => ({ 'people.sync': noop }), second: () => ({ 'people.sync': noop }) })).toThrow(
      'job people.sync has two processors: first and second',
    );
  });
});
