import t from 'tap';
import { testDb } from '../http/test-support.js';
import { checkShift, createShift, whoIsOnDuty } from './roster.js';
import { person, shift } from './test-support.js';

const H = 3_600_000;
const t0 = Date.UTC(2026, 0, 5, 0, 0);

void t.test('a shift needs two duty officers and a leader on duty', async (t) => {
  const one = shift(t0, t0 + 8 * H);
  one.people.duty_officer = [person('a', '张三', '13812345678')];
  t.throws(() => checkShift(one), { code: 'GW_ERR_VALIDATION', message: /two different duty officers.*it has one/, details: [{ field: '/people/duty_officer' }] });

  const twice = shift(t0, t0 + 8 * H);
  twice.people.duty_officer = [person('a', '张三', '13812345678'), person('a', '张三', '13812345678')];
  t.throws(() => checkShift(twice), { message: /the same person twice/ });

  const leaderless = shift(t0, t0 + 8 * H);
  leaderless.people.leader_on_duty = [];
  t.throws(() => checkShift(leaderless), { code: 'GW_ERR_VALIDATION', details: [{ field: '/people/leader_on_duty' }] });

  t.throws(() => checkShift(shift(t0, t0)), { code: 'GW_ERR_VALIDATION', details: [{ field: '/endsAt' }] });
  t.doesNotThrow(() => checkShift(shift(t0, t0 + 8 * H)));
});

void t.test('whoIsOnDuty picks the covering shift with the longest matching block prefix', async (t) => {
  const db = await testDb(t);
  const at = t0 + 2 * H;
  await db.transaction(async (tx) => {
    await createShift(tx, shift(t0, t0 + 24 * H, {}, '-default'), t0);
    await createShift(tx, shift(t0, t0 + 24 * H, { blocks: ['310117006'] }, '-town'), t0);
    await createShift(tx, shift(t0, t0 + 24 * H, { blocks: ['31011700601003', '31011700699'] }, '-community'), t0);
    await createShift(tx, shift(t0, t0 + 24 * H, { blocks: ['310117006'], kinds: ['gas'] }, '-town-gas'), t0);
    await createShift(tx, shift(t0 + 24 * H, t0 + 48 * H, { blocks: ['31011700601003012'] }, '-tomorrow'), t0);
  });
  const officer = async (block: string, kind: string | null, atMs = at) => (await whoIsOnDuty(db, block, kind, atMs))?.shift.people.duty_officer[0]?.id ?? null;

  t.equal(await officer('31011700601003012', 'waterlogging'), 'officer-a-community', 'the community shift covers its blocks');
  t.equal((await whoIsOnDuty(db, '31011700601003012', null, at))?.matchedPrefix, '31011700601003');
  t.equal(await officer('31011700602001001', 'waterlogging'), 'officer-a-town', 'another grid of the town');
  t.equal(await officer('31011700602001001', 'gas'), 'officer-a-town-gas', 'a kind-specific shift wins at the same prefix');
  t.equal(await officer('31011700601003012', 'gas'), 'officer-a-community', 'but a longer prefix wins over the kind');
  t.equal(await officer('32000000000000001', 'gas'), 'officer-a-default', 'another town falls to the default shift');
  t.equal((await whoIsOnDuty(db, '32000000000000001', null, at))?.matchedPrefix, '');
  t.equal(await officer('31011700601003012', null, t0 + 30 * H), 'officer-a-tomorrow', 'the next day’s shift');
  t.equal(await officer('31011700601003011', null, t0 + 30 * H), null, 'nobody covers that block the next day');
  t.equal(await officer('31011700601003012', null, t0 + 24 * H - 1), 'officer-a-community', 'end is exclusive');
});
