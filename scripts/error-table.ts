// Regenerates the README's error table (between <!-- error-codes:begin --> and <!-- error-codes:end -->) from
// the catalogue in src/errors.ts (npm run error-table). tests/unit/errors.test.ts fails when it is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { errorCatalogueMarkdown, replaceErrorTable } from '../src/errors.js';

const readme = new URL('../README.md', import.meta.url);
writeFileSync(readme, replaceErrorTable(readFileSync(readme, 'utf8'), errorCatalogueMarkdown()));
console.log(`updated ${readme.pathname}`);
