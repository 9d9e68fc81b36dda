/** The simulator as a child process: ready line, real deliveries, control API, clean SIGTERM. */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { freePort } from '../../test/helpers/postgres.js';
import { runNode } from '../../test/helpers/run-node.js';
import { deliverCase, testSecret } from './test-support.js';

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));

t.test('prints its URLs when ready, serves deliveries, stops on SIGTERM', async (t) => {
  const ports = [await freePort(), await freePort(), await freePort()];
  const feedbackPort = await freePort();
  const child = spawn(process.execPath, [
    '--import', 'tsx', cli, '--secret', testSecret, '--ports', ports.join(','), '--feedback-url', `http://127.0.0.1:${feedbackPort}`,
    '--feedback-secret', 'f', '--accept-after', '3600000', '--unit', 'fire-1:1:消防站', '--seed', '3',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', () => reject(new Error(`exited before ready: ${stderr}`)));
  });
  const ready = JSON.parse(line) as Record<string, unknown>;
  t.match(ready, {
    ready: true, primaryUrl: `http://127.0.0.1:${ports[0]}`, backupUrl: `http://127.0.0.1:${ports[1]}`, controlUrl: `http://127.0.0.1:${ports[2]}`, pid: child.pid,
  });

  const r = await deliverCase(String(ready.primaryUrl), testSecret, '11');
  t.match(r, { status: 200, json: { ok: true, duplicate: false, districtCaseNo: /^QP\d{14}$/ } });
  const mode = await fetch(`${String(ready.controlUrl)}/mode`, { method: 'POST', body: JSON.stringify({ endpoint: 'primary', mode: { type: 'down' } }) });
  t.equal(mode.status, 200);
  const refused = await fetch(`${String(ready.primaryUrl)}/health`).then(() => 'answered', (e: Error) => (e.cause as { code?: string }).code);
  t.equal(refused, 'ECONNREFUSED');
  const stats = (await (await fetch(`${String(ready.controlUrl)}/stats`)).json()) as { stats: { unique: number } };
  t.equal(stats.stats.unique, 1);

  child.kill('SIGTERM');
  t.equal(await exited, 0, 'clean exit');
  t.match(stderr, /district simulator stopped/);
  t.notMatch(stderr, /"level":[56]0/, 'no errors logged');
});

const run = (args: string[]) => runNode(['--import', 'tsx', cli, ...args]);

t.test('usage errors name the problem', async (t) => {
  const help = await run(['--help']);
  t.equal(help.code, 0);
  for (const o of ['--secret', '--ports', '--feedback-url', '--accept-after', '--speed']) t.match(help.out, o);
  const cases: [string[], RegExp][] = [
    [[], /--secret is required/],
    [['--secret', 's', '--ports', '1,2'], /--ports 1,2 must be three ports/],
    [['--secret', 's', '--feedback-url', 'http://x'], /--feedback-url and --feedback-secret go together/],
    [['--secret', 's', '--sign-after', 'later'], /--sign-after later is not valid/],
    [['--secret', 's', '--unit', 'u:4'], /--unit u:4 must be ID\[:TIER\[:NAME\]\]/],
  ];
  for (const [args, message] of cases) {
    const r = await run(args);
    t.equal(r.code, 2, args.join(' '));
    t.match(r.err, message);
  }
});
