import t from 'tap';
import type { PlatformEvent } from '../events/types.js';
import { maskPersonalData } from './mask.js';
import { compileFilter, kindOf } from './matcher.js';
import { checkSubscriptionUrl } from './url.js';

function event(over: Partial<PlatformEvent> = {}): PlatformEvent {
  return {
    id: '10', type: 'warning.raised', subject: { type: 'warning', id: '1' }, blockCode: '310117006001003012', grade: 'orange', exercise: false,
    at: '2026-06-01T10:00:00.000+08:00', atMs: 0, data: { warning: { kind: 'waterlogging' } }, ...over,
  };
}

t.test('filters: every condition given must hold', async (t) => {
  const all = compileFilter({});
  t.ok(all(event()) && all(event({ grade: null, blockCode: null, data: {} })), 'an empty filter passes everything');

  const orange = compileFilter({ minGrade: 'orange' });
  t.ok(orange(event({ grade: 'orange' })) && orange(event({ grade: 'red' })));
  t.notOk(orange(event({ grade: 'yellow' })), 'below the grade');
  t.notOk(orange(event({ grade: null })), 'no grade does not pass a grade filter');

  const smoke = compileFilter({ kinds: ['smoke', 'gas'] });
  t.ok(smoke(event({ data: { warning: { kind: 'smoke' } } })));
  t.ok(smoke(event({ type: 'case.opened', data: { case: { kind: 'gas' } } })), 'the case kind');
  t.notOk(smoke(event()), 'another kind');
  t.notOk(smoke(event({ type: 'callout.call', data: { category: 'rainstorm' } })), 'no kind does not pass a kind filter');

  const block = compileFilter({ blocks: ['310117006', '310118'] });
  t.ok(block(event()), 'a prefix of the block');
  t.notOk(block(event({ blockCode: '310117007001' })));
  t.notOk(block(event({ blockCode: null })));

  const types = compileFilter({ types: ['warning.*', 'case.opened'] });
  t.ok(types(event()) && types(event({ type: 'case.opened' })));
  t.notOk(types(event({ type: 'case.status' })) || types(event({ type: 'callout.call' })));

  const both = compileFilter({ minGrade: 'red', types: ['case.*'] });
  t.notOk(both(event({ type: 'case.opened', grade: 'orange' })));
  t.ok(both(event({ type: 'case.opened', grade: 'red' })));

  t.equal(kindOf(event({ data: { kind: 'tilt' } })), 'tilt');
  t.equal(kindOf(event({ data: { warning: null } })), null);
});

t.test('personal data is masked wherever it stands', async (t) => {
  const data = {
    warning: { acknowledgedBy: '王小明', reason: 'depth_cm 42', blockCode: '310117006001003012', deviceId: '13812345678901' },
    by: '张三',
    comment: { by: '李四', text: '已电话联系 13912345678，另 021-87654321' },
    case: { description: '市民(欧阳娜娜 15000001111)报告积水', location: { address: '长江路 12 号' } },
    person: { id: 'officer-a', name: '赵六' },
    contacts: [{ name: '钱七', role: '联络员', phone: '13700001111' }],
    unit: { id: 'water-bureau', name: '水务站' },
    personName: '孙八',
    personId: 'officer-b',
    count: 13812345678,
  };
  const out = maskPersonalData(data);
  t.not(out, data, 'a copy');
  t.equal(data.by, '张三', 'the input is unchanged');
  const text = JSON.stringify(out);
  for (const leak of ['王小明', '张三', '李四', '13912345678', '87654321', '15000001111', '赵六', '钱七', '13700001111', '孙八']) t.notOk(text.includes(leak), `no ${leak}`);
  t.same(out.comment, { by: '李*', text: '已电话联系 139****5678，另 021****4321' });
  t.equal(out.case.description, '市民(欧阳娜娜 150****1111)报告积水', 'numbers in free text (names in free text cannot be told apart)');
  t.same(out.contacts, [{ name: '钱*', role: '联络员', phone: '137****1111' }]);
  t.same(out.person, { id: 'officer-a', name: '赵*' }, 'people by id stay');
  t.same(out.unit, { id: 'water-bureau', name: '水务站' }, 'a unit name is not a person');
  t.equal(out.warning.deviceId, '13812345678901', 'a longer digit string is not a phone number');
  t.equal(out.warning.blockCode, '310117006001003012');
  t.equal(out.count, 13812345678, 'numbers that are not text stay');
});

t.test('subscription URLs: http(s), no credentials, no fragment', async (t) => {
  t.equal(checkSubscriptionUrl('https://district.example/hooks/cityops?x=1'), 'https://district.example/hooks/cityops?x=1');
  t.equal(checkSubscriptionUrl('http://10.0.0.5:8080/in'), 'http://10.0.0.5:8080/in');
  for (const bad of ['ftp://district.example/x', 'https://user:pw@district.example/x', 'https://district.example/x#frag', 'not a url', 'file:///etc/passwd']) {
    const err = t.throws(() => checkSubscriptionUrl(bad), { code: 'GW_ERR_VALIDATION' }) as unknown as Error;
    t.notOk(err.message.includes('pw@'), 'the message does not echo the URL');
  }
});
