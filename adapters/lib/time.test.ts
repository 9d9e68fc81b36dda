import t from 'tap';
import { beijingToMs, formatBeijingText, fromEpochSeconds, parseBeijingText, parseTimestamp } from './time.js';

const noon = Date.UTC(2024, 4, 29, 4, 0, 0); // 2024-05-29 12:00:00 Beijing

void t.test('parseTimestamp: ms or ISO-8601 with offset', async (t) => {
  t.same(parseTimestamp(noon), { ok: true, time: noon });
  t.same(parseTimestamp('2024-05-29T12:00:00+08:00'), { ok: true, time: noon });
  t.same(parseTimestamp('2024-05-29T04:00:00.000Z'), { ok: true, time: noon });
  t.same(parseTimestamp('2024-05-29T12:00+08:00'), { ok: true, time: noon });
  t.match(parseTimestamp('2024-05-29T12:00:00'), { ok: false, message: /offset/ }, 'no offset is ambiguous');
  t.match(parseTimestamp('2024-13-29T12:00:00Z'), { ok: false });
  t.match(parseTimestamp(noon / 1000), { ok: false, message: /between 2000 and 2100/ }, 'seconds where ms belong');
  t.match(parseTimestamp(noon + 0.5), { ok: false });
});

void t.test('epoch seconds and Beijing wall-clock text', async (t) => {
  t.same(fromEpochSeconds(noon / 1000), { ok: true, time: noon });
  t.match(fromEpochSeconds(noon), { ok: false });
  t.same(parseBeijingText('2024-05-29 12:00:00'), { ok: true, time: noon });
  t.match(parseBeijingText('2024-02-30 12:00:00'), { ok: false }, '30 February');
  t.match(parseBeijingText('2024-05-29T12:00:00'), { ok: false });
  t.equal(formatBeijingText(noon), '2024-05-29 12:00:00');
  t.equal(beijingToMs(2024, 5, 29, 12, 0, 0), noon);
  t.equal(beijingToMs(2024, 5, 29, 24, 0, 0), undefined);
});
