// Regenerates docs/case-machine.md and the diagram in the README's "The case path" from the machine
// definition (npm run diagram). tests/machines/diagram.test.ts fails when either is stale.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { caseMachine, CASE_MACHINE_VERSION } from '../machines/caseMachine.js';
import { renderDiagramDoc, renderReadmeSection, replaceReadmeSection } from '../machines/diagram.js';

const doc = new URL('../docs/case-machine.md', import.meta.url);
mkdirSync(new URL('../docs/', import.meta.url), { recursive: true });
writeFileSync(doc, renderDiagramDoc(caseMachine, CASE_MACHINE_VERSION));
console.log(`wrote ${doc.pathname}`);

const readme = new URL('../README.md', import.meta.url);
writeFileSync(readme, replaceReadmeSection(readFileSync(readme, 'utf8'), renderReadmeSection(caseMachine)));
console.log(`updated ${readme.pathname}`);
