#!/usr/bin/env node
// `npm test`: typecheck, lint, then the whole tap suite against one shared PostgreSQL cluster.
// Ends with the line CI reads, computed from the real counts: `N passed, N failed, N skipped`.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Parser } = require('tap-parser');

let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];

function step(name, cmd, args) {
  process.stdout.write(`\n== ${name}: ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status === 0) passed++;
  else {
    failed++;
    failures.push(name);
  }
}

async function startSharedPostgres() {
  // The tap tests share one cluster (each test file makes its own databases in it).
  const { startPostgres } = await import('../test/helpers/postgres.ts');
  return startPostgres();
}

async function main() {
  const only = process.argv.slice(2);
  if (only.length === 0) {
    step('typecheck', 'npx', ['tsc', '--noEmit', '-p', '.']);
    step('lint', 'npx', ['eslint', '.']);
  }
  // tap compiles its plugin set into .tap/plugins from package.json's "tap" config; on a fresh
  // clone it must be built before the first run, or tap loads its default TypeScript plugin.
  spawnSync('npx', ['tap', 'build'], { stdio: 'inherit' });
  let cluster;
  try {
    cluster = await startSharedPostgres();
  } catch (e) {
    console.error(`cannot start PostgreSQL for the tests: ${e.message}`);
    failed++;
    failures.push('postgres');
  }
  const env = { ...process.env, CITYOPS_TEST_PG_ADMIN_URL: cluster?.adminUrl ?? '' };
  // Count leaf test points in every file and subtest. A subtest's own summary point counts only
  // when it failed without a failing point inside (a teardown error, a timeout, a crash).
  const parser = new Parser({ strict: false });
  const attach = (p, path) => {
    let pendingChild;
    p.on('child', (child) => {
      pendingChild = { failures: 0 };
      const state = pendingChild;
      attach(child, [...path, child.name]);
      child.on('assert', (a) => {
        if (!a.ok && !(a.skip || a.todo)) state.failures++;
      });
    });
    p.on('assert', (a) => {
      const name = [...path, a.name].filter(Boolean).join(' > ');
      if (pendingChild) {
        const child = pendingChild;
        pendingChild = undefined;
        if (!a.ok && child.failures === 0) {
          failed++;
          failures.push(`${name} (failed outside its assertions)`);
        }
        return;
      }
      if (a.skip || a.todo) skipped++;
      else if (a.ok) passed++;
      else {
        failed++;
        failures.push(name);
      }
    });
  };
  attach(parser, []);
  const code = await new Promise((resolve) => {
    const child = spawn('npx', ['tap', '--reporter=tap', ...only], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      parser.write(chunk);
    });
    child.on('close', (c) => {
      parser.end();
      resolve(c ?? 1);
    });
  });
  await cluster?.destroy();
  if (code !== 0 && failed === 0) {
    failed++;
    failures.push(`tap exited with ${code}`);
  }
  if (failures.length) process.stdout.write(`\nFailed:\n${failures.slice(0, 50).map((f) => `  - ${f}`).join('\n')}\n`);
  process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  process.exit(failed === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.stdout.write('\n0 passed, 1 failed\n');
  process.exit(1);
});
