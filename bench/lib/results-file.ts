import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes a benchmark's report as bench/results/{name}-{timestamp}.json and {name}-latest.json; returns the first path. */
export function writeResults(name: string, report: { timestamp: string }, outDir: string): string {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${name}-${report.timestamp.replace(/[:.]/g, '-')}.json`);
  const text = `${JSON.stringify(report, null, 2)}\n`;
  writeFileSync(file, text);
  writeFileSync(join(outDir, `${name}-latest.json`), text);
  return file;
}
