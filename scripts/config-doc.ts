// Regenerates the key table in docs/configuration.md from the configuration schema.
import { readFileSync, writeFileSync } from 'node:fs';
import { configTableMarkdown } from '../gateway/config/doc.js';

const file = 'docs/configuration.md';
const doc = readFileSync(file, 'utf8');
const start = '<!-- config-table:start -->';
const end = '<!-- config-table:end -->';
const a = doc.indexOf(start);
const b = doc.indexOf(end);
if (a < 0 || b < 0) throw new Error(`${file} lacks the ${start} / ${end} markers`);
writeFileSync(file, `${doc.slice(0, a + start.length)}\n${configTableMarkdown()}\n${doc.slice(b)}`);
console.log(`${file} updated`);
