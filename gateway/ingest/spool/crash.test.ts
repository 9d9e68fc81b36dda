import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { crashBody } from './fixtures/crash-body.js';
import { captureLogger, openSpool } from './fixtures/helpers.js';

const fixture = fileURLToPath(new URL('./fixtures/append-loop.ts', import.meta.url));
const root = fileURLToPath(new URL('../../../', import.meta.url));
const KILL_AFTER_ACKS = 300;
const DEADLINE_MS = 30_000;

void t.test('SIGKILL mid-stream: every acknowledged LSN is readable with its exact body', async (t) => {
  const dir = t.testdir();
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, dir, '100000'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const acked = new Map<number, number>(); // lsn -> n
  let stderr = '';
  let partial = '';
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  const deadline = setTimeout(() => child.kill('SIGKILL'), DEADLINE_MS);
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? ''; // a line cut by the kill is not an ack we saw
    for (const line of lines) {
      const [lsn, n] = line.split(' ').map(Number);
      if (lsn !== undefined && n !== undefined) acked.set(lsn, n);
    }
    if (acked.size >= KILL_AFTER_ACKS) child.kill('SIGKILL');
  });
  const how = await exited;
  clearTimeout(deadline);
  t.equal(how, 'SIGKILL', `the child was killed, not finished or crashed: ${stderr.slice(0, 500)}`);
  t.ok(acked.size >= KILL_AFTER_ACKS, `${acked.size} acknowledgements seen before the kill`);

  const { logger, lines } = captureLogger();
  const spool = await openSpool(dir, { segmentBytes: 8 * 1024, logger });
  t.teardown(() => spool.close());
  const onDisk = new Map<number, string>();
  let previous = 0;
  let ordered = true;
  for await (const r of spool.readFrom(1)) {
    if (r.lsn <= previous) ordered = false;
    previous = r.lsn;
    onDisk.set(r.lsn, r.body.toString());
  }
  t.ok(ordered, 'LSNs read back strictly increasing');
  const missing = [...acked].filter(([lsn, n]) => onDisk.get(lsn) !== crashBody(n));
  t.same(missing, [], 'no acknowledged record is missing or different');
  t.equal(new Set(acked.values()).size, acked.size, 'one LSN per acknowledged append');
  t.match(spool.stats(), { corruptRegions: 0 }, 'a process crash leaves no damage mid-log');
  t.same(lines.filter((l) => l.level >= 50), []);
  const lastLsn = spool.stats().lastLsn;
  t.ok(lastLsn >= Math.max(...acked.keys()));
  t.equal(await spool.append(Buffer.from('after the crash')), lastLsn + 1, 'appends continue after recovery');
});
