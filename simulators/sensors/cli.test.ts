/**
 * The command line's own failures, each with a message a person can act on and a non-zero
 * exit (a run against a live gateway is town.test.ts's job).
 */
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/helpers/postgres.js';
import { runNode } from '../../test/helpers/run-node.js';

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));

const run = (args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) => runNode(['--import', 'tsx', cli, ...args], opts);

t.test('--help lists the options', async (t) => {
  const r = await run(['--help']);
  t.equal(r.code, 0);
  for (const o of ['--devices', '--scenario', '--interval', '--url', '--mqtt', '--token', '--duration', '--seed']) t.match(r.out, o);
});

t.test('an unknown scenario names the known ones', async (t) => {
  const r = await run(['--scenario', 'snow', '--token', 'x']);
  t.equal(r.code, 2);
  t.match(r.err, /unknown scenario "snow"; known: calm, rainstorm, fire, manhole, gas-leak/);
});

t.test('a gateway that is not running is reported as such', async (t) => {
  const port = await freePort();
  const r = await run(['--url', `http://127.0.0.1:${port}`, '--token', 'x']);
  t.equal(r.code, 1);
  t.match(r.err, new RegExp(`cannot reach the gateway at http://127.0.0.1:${port} \\(ECONNREFUSED\\): is it running\\?`));
});

t.test('without a token it says where one comes from', async (t) => {
  const dir = t.testdir({});
  const env = { ...process.env };
  delete env.CITYOPS_ADMIN_TOKEN;
  const r = await run(['--url', 'http://127.0.0.1:1'], { cwd: dir, env });
  t.equal(r.code, 2);
  t.match(r.err, /no admin token: pass --token, set CITYOPS_ADMIN_TOKEN/);
});

t.test('a bad number is refused', async (t) => {
  const r = await run(['--interval', 'soon', '--token', 'x']);
  t.equal(r.code, 2);
  t.match(r.err, /--interval soon is not valid/);
});
