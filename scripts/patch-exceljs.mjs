// postinstall: fixes a bug of exceljs 4.4.0 (the latest release) that corrupts Chinese text read with the streaming
// reader (ExcelJS.stream.xlsx.WorkbookReader, what bulk import uses): lib/utils/parse-sax.js turns each inflated
// chunk of a sheet or of sharedStrings.xml into a string on its own, so a multi-byte UTF-8 character split between
// two chunks becomes two U+FFFD (无劳动能力 → 无劳动��力). Upstream: exceljs issues #2063, #2084; fix PRs #1665,
// #1821, #2894, unreleased. The patch decodes the chunks with one streaming TextDecoder, which keeps an incomplete
// character until the next chunk. tests/unit/importCells.test.ts ("a character split between chunks") fails without it.
// Applies only to 4.4.0 and only once (idempotent); any other version is left alone with a warning.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', 'exceljs');
const MARK = '/* doudi-patch */';
if (!existsSync(join(root, 'package.json'))) process.exit(0);
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
if (version !== '4.4.0') {
  console.warn(`patch-exceljs: exceljs ${version} is not 4.4.0; not patched (check tests/unit/importCells.test.ts)`);
  process.exit(0);
}
const file = join(root, 'lib', 'utils', 'parse-sax.js');
let text = readFileSync(file, 'utf8');
if (text.includes(MARK)) process.exit(0);
const before = '    saxesParser.write(bufferToString(chunk));';
const after = `    ${MARK} // one decoder for the whole part: a character split between two chunks stays whole
    saxesParser.write(typeof chunk === 'string' ? chunk : decoder.decode(chunk, {stream: true}));`;
if (!text.includes(before)) {
  console.warn('patch-exceljs: parse-sax.js is not as expected; not patched');
  process.exit(0);
}
text = text.replace(before, after).replace('  let events = [];', '  const decoder = new TextDecoder(\'utf-8\');\n  let events = [];');
writeFileSync(file, text);
console.log('patch-exceljs: patched lib/utils/parse-sax.js (UTF-8 split across chunks)');
