// Regenerates docs/case-machine.md from the machine definition (npm run diagram).
import { writeFileSync, mkdirSync } from 'node:fs';
import { caseMachine, CASE_MACHINE_VERSION } from '../machines/caseMachine.js';
import { renderDiagramDoc } from '../machines/diagram.js';

const out = new URL('../docs/case-machine.md', import.meta.url);
mkdirSync(new URL('../docs/', import.meta.url), { recursive: true });
writeFileSync(out, renderDiagramDoc(caseMachine, CASE_MACHINE_VERSION));
console.log(`wrote ${out.pathname}`);
