/**
 * `node --import tsx bench/profile-top.ts FILE.cpuprofile [N]`: a V8 CPU profile (from
 * `npm run bench:ingest -- --cpu-prof`, or any `node --cpu-prof`) ranked by self time per
 * function and file, and by inclusive time for the gateway's own functions.
 */
import { formatSelfTimes } from './lib/cpuprofile.js';

const [file, top] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node --import tsx bench/profile-top.ts FILE.cpuprofile [N]\n');
  process.exit(2);
}
process.stdout.write(`${formatSelfTimes(file, Number(top ?? 30))}\n`);
