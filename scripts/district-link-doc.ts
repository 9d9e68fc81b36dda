// Regenerates the JSON Schemas and the signing examples in docs/district-link.md.
import { readFileSync, writeFileSync } from 'node:fs';
import { renderDistrictDoc } from '../gateway/district/messages-doc.js';

const file = 'docs/district-link.md';
writeFileSync(file, renderDistrictDoc(readFileSync(file, 'utf8')));
console.log(`${file} updated`);
