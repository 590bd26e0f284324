import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { caseMachine, CASE_MACHINE_VERSION } from '../../machines/caseMachine.js';
import { renderDiagramDoc } from '../../machines/diagram.js';

describe('docs/case-machine.md', () => {
  it('is what `npm run diagram` generates from the current definition (run it after changing the machine)', () => {
    const committed = readFileSync(new URL('../../docs/case-machine.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderDiagramDoc(caseMachine, CASE_MACHINE_VERSION));
  });

  it('shows every state and every event type', () => {
    const doc = renderDiagramDoc(caseMachine, CASE_MACHINE_VERSION);
    for (const s of ['survey', 'screenedOut', 'preliminary', 'evaluation', 'review', 'publicity', 'awaitingPlacement', 'active', 'exitNotice', 'exited', 'rejected']) {
      expect(doc).toContain(`as ${s}`);
    }
    expect(doc).toContain('review --> publicity: APPROVE [allowed ∧ atLastLevel]');
  });
});

describe('README, section "The case path"', () => {
  it('shows the diagram generated from the current definition (run `npm run diagram` after changing the machine)', async () => {
    const { readmeSection, renderReadmeSection } = await import('../../machines/diagram.js');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readmeSection(readme)).toBe(renderReadmeSection(caseMachine));
  });
});
