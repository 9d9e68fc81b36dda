import t, { type Test } from 'tap';
import type { WarningView } from '../warnings/schema.js';
import { capReference, capTime, warningToCap, type CapInput, type CapOptions } from './cap.js';
import { capOrder, capRequired, capValues } from './cap-spec.js';

// Element sequences and value lists of the OASIS CAP 1.2 schema (CAP-v1.2-os §3.2, §3.4).
const spec = {
  alert: capOrder('alert'), alertRequired: capRequired('alert'),
  info: capOrder('info'), infoRequired: capRequired('info'),
  area: capOrder('area'), areaRequired: capRequired('area'),
  ...capValues,
};

interface El { name: string; attrs: string; children: El[]; text: string }

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** A small well-formedness check: one root, balanced tags, no stray `<` or `&` in text. */
function parse(xml: string): El {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const root: El = { name: '#doc', attrs: '', children: [], text: '' };
  const stack = [root];
  const re = /<(\/?)([A-Za-z][\w.-]*)([^<>]*?)(\/?)>|([^<]+)|(<)/g;
  for (const m of body.matchAll(re)) {
    const top = stack[stack.length - 1]!;
    if (m[6]) throw new Error(`stray < at ${m.index}`);
    if (m[5] !== undefined) {
      if (/&(?!(amp|lt|gt|quot|apos);)/.test(m[5])) throw new Error(`bare & in "${m[5]}"`);
      if (m[5].includes('>')) throw new Error(`raw > in "${m[5]}"`);
      top.text += m[5].replace(/&(\w+);/g, (_, e: string) => entities[e] ?? '');
    } else if (m[1]) {
      if (top.name !== m[2]) throw new Error(`</${m[2]}> closes <${top.name}>`);
      stack.pop();
    } else {
      const el: El = { name: m[2]!, attrs: m[3]!.trim(), children: [], text: '' };
      top.children.push(el);
      if (!m[4]) stack.push(el);
    }
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (root.children.length !== 1 || root.text.trim() !== '') throw new Error('not exactly one root element');
  return root.children[0]!;
}

const child = (el: El, name: string): El => {
  const c = el.children.find((x) => x.name === name);
  if (!c) throw new Error(`no <${name}> in <${el.name}>`);
  return c;
};
const text = (el: El, name: string) => child(el, name).text;

/** Children are all known, in the spec's order, with the required ones present. */
function checkSequence(t: Test, el: El, order: readonly string[], required: readonly string[]) {
  const names = el.children.map((c) => c.name);
  const idx = names.map((n) => order.indexOf(n));
  t.notOk(idx.includes(-1), `<${el.name}> has only CAP 1.2 elements: ${names.join(', ')}`);
  t.same(idx, [...idx].sort((a, b) => a - b), `<${el.name}> children in CAP 1.2 order`);
  for (const r of required) t.ok(names.includes(r), `<${el.name}> has <${r}>`);
}

function checkCap(t: Test, xml: string): El {
  const alert = parse(xml);
  t.equal(alert.name, 'alert');
  t.equal(alert.attrs, 'xmlns="urn:oasis:names:tc:emergency:cap:1.2"');
  checkSequence(t, alert, spec.alert, spec.alertRequired);
  for (const k of ['status', 'msgType', 'scope'] as const) t.ok(spec[k].includes(text(alert, k) as never), `${k} value`);
  for (const info of alert.children.filter((c) => c.name === 'info')) {
    checkSequence(t, info, spec.info, spec.infoRequired);
    for (const k of ['category', 'responseType', 'urgency', 'severity', 'certainty'] as const) {
      for (const c of info.children.filter((x) => x.name === k)) t.ok(spec[k].includes(c.text as never), `${k} ${c.text}`);
    }
    for (const area of info.children.filter((c) => c.name === 'area')) checkSequence(t, area, spec.area, spec.areaRequired);
  }
  return alert;
}

const warning: WarningView = {
  id: '42', fingerprint: 'wl/wl-1', ruleId: 'waterlogging', ruleVersion: 1, subject: { type: 'device', id: 'wl-1' },
  deviceId: 'wl-1', kind: 'waterlogging', blockCode: '31011500100200301', category: 'rainstorm', grade: 'orange', peakGrade: 'orange',
  state: 'active', raisedAt: '2024-07-01T00:30:00.000Z', updatedAt: '2024-07-01T00:30:00.000Z', clearedAt: null, acknowledgedAt: null,
  acknowledgedBy: null, silenced: false, stormId: null, exercise: false, metric: 'depth_cm', value: 42, valueState: null,
  reason: 'depth_cm 42 ≥ 40 (orange)', caseRequestedAt: null, pictureRequestedAt: null, data: {},
};
const opts: CapOptions = { sender: 'cityops@town.example', agencyCode: '41600', senderName: '某镇城运中心' };
const raise: CapInput = { warning, transition: { from: null, to: 'orange', at: '2024-07-01T00:30:00.000Z', reason: warning.reason }, sequence: 1, title: '道路积水' };

t.test('Alert on raise: every required element, in order, with valid values', async (t) => {
  const alert = checkCap(t, warningToCap(raise, opts));
  t.equal(text(alert, 'msgType'), 'Alert');
  t.equal(text(alert, 'status'), 'Actual');
  t.equal(text(alert, 'scope'), 'Public');
  t.equal(text(alert, 'sender'), opts.sender);
  t.equal(text(alert, 'identifier'), '31011541600_20240701083000_1', 'GB/T 35965.1: area code + agency, Shanghai time, n');
  t.match(text(alert, 'identifier'), /^\d{6}[0-9A-Za-z]+_\d{14}_\d+$/);
  t.equal(text(alert, 'sent'), '2024-07-01T08:30:00+08:00');
  t.notOk(alert.children.some((c) => c.name === 'references'), 'an Alert references nothing');
  const info = child(alert, 'info');
  t.equal(text(info, 'language'), 'zh-CN');
  t.equal(text(info, 'category'), 'Met');
  t.equal(text(info, 'event'), '道路积水');
  t.equal(text(info, 'responseType'), 'Prepare');
  t.equal(text(info, 'urgency'), 'Immediate');
  t.equal(text(info, 'severity'), 'Severe');
  t.equal(text(info, 'certainty'), 'Observed');
  t.equal(text(info, 'senderName'), '某镇城运中心');
  t.equal(text(info, 'headline'), '橙色预警：道路积水');
  t.equal(text(info, 'description'), 'depth_cm 42 ≥ 40 (orange)');
  const area = child(info, 'area');
  t.equal(text(area, 'areaDesc'), '网格 31011500100200301');
  t.notOk(area.children.some((c) => c.name === 'circle'), 'no circle without a location');
  t.same(child(area, 'geocode').children.map((c) => [c.name, c.text]), [['valueName', 'GB/T 2260'], ['value', '310115']]);
});

t.test('Update on a grade change and Cancel when cleared reference the earlier messages', async (t) => {
  const first = capReference(raise, opts);
  t.same(first, { sender: opts.sender, identifier: '31011541600_20240701083000_1', sent: '2024-07-01T08:30:00+08:00' });
  const up: CapInput = { ...raise, transition: { from: 'orange', to: 'red', at: '2024-07-01T01:00:05.000Z', reason: 'depth_cm 55 ≥ 50 (red)' }, sequence: 7, previous: [first] };
  const update = checkCap(t, warningToCap(up, opts));
  t.equal(text(update, 'msgType'), 'Update');
  t.equal(text(update, 'references'), `${opts.sender},31011541600_20240701083000_1,2024-07-01T08:30:00+08:00`);
  t.equal(text(child(update, 'info'), 'severity'), 'Extreme');

  const second = capReference(up, opts);
  const clear: CapInput = { ...raise, transition: { from: 'red', to: null, at: '2024-07-01T02:00:00.000Z', reason: 'depth_cm 10 < 45' }, sequence: 9, previous: [first, second] };
  const cancel = checkCap(t, warningToCap(clear, opts));
  t.equal(text(cancel, 'msgType'), 'Cancel');
  t.equal(text(cancel, 'references').split(' ').length, 2, 'space-separated triples');
  t.equal(text(cancel, 'references').split(' ')[1], `${opts.sender},31011541600_20240701090005_7,2024-07-01T09:00:05+08:00`);
  const info = child(cancel, 'info');
  t.equal(text(info, 'severity'), 'Extreme', 'the grade that was lifted');
  t.equal(text(info, 'responseType'), 'AllClear');
  t.equal(text(info, 'headline'), '红色预警解除：道路积水');

  t.throws(() => warningToCap({ ...up, previous: [] }, opts), { code: 'GW_ERR_VALIDATION' }, 'an Update must reference');
  t.throws(() => warningToCap({ ...clear, previous: undefined }, opts), { code: 'GW_ERR_VALIDATION' }, 'a Cancel must reference');
  t.throws(() => warningToCap({ ...up, previous: [{ ...first, identifier: 'a b' }] }, opts), { code: 'GW_ERR_VALIDATION' });
});

t.test('severity and responseType per grade; category per rule category', async (t) => {
  const cases = [['red', 'Extreme', 'Prepare'], ['orange', 'Severe', 'Prepare'], ['yellow', 'Moderate', 'Monitor'], ['blue', 'Minor', 'Monitor']] as const;
  for (const [grade, severity, response] of cases) {
    const info = child(checkCap(t, warningToCap({ ...raise, transition: { ...raise.transition, to: grade } }, opts)), 'info');
    t.equal(text(info, 'severity'), severity, grade);
    t.equal(text(info, 'responseType'), response, grade);
  }
  const categories = { rainstorm: 'Met', gale: 'Met', flash_flood: 'Met', geological: 'Geo', fire: 'Fire', gas: 'Safety', structure: 'Infra', equipment: 'Infra', other: 'Other', unheard_of: 'Other' };
  for (const [category, cap] of Object.entries(categories)) {
    t.equal(text(child(parse(warningToCap({ ...raise, warning: { ...warning, category } }, opts)), 'info'), 'category'), cap, category);
  }
});

t.test('drills are Exercise with a note; tests are Test', async (t) => {
  const drill = checkCap(t, warningToCap({ ...raise, warning: { ...warning, exercise: true } }, opts));
  t.equal(text(drill, 'status'), 'Exercise');
  t.match(text(drill, 'note'), /exercise/);
  const test = checkCap(t, warningToCap({ ...raise, test: true }, opts));
  t.equal(text(test, 'status'), 'Test');
});

t.test('text is XML-escaped and still reads back the same', async (t) => {
  const nasty = `a<b>&c"d'e]]>\u0001`;
  const xml = warningToCap({ ...raise, title: nasty, transition: { ...raise.transition, reason: nasty } }, { ...opts, senderName: nasty, areaDesc: nasty });
  t.notOk(xml.includes('<b>'), 'no raw markup');
  t.ok(xml.includes('a&lt;b&gt;&amp;c&quot;d&apos;e]]&gt;'));
  const alert = checkCap(t, xml);
  const info = child(alert, 'info');
  for (const v of [text(info, 'event'), text(info, 'senderName'), text(info, 'description'), text(child(info, 'area'), 'areaDesc')]) t.equal(v, `a<b>&c"d'e]]>`, 'control characters XML forbids are dropped');
});

t.test('times are +08:00 across the date line; circle from the location', async (t) => {
  t.equal(capTime('2024-12-31T16:00:00Z'), '2025-01-01T00:00:00+08:00');
  t.equal(capTime('2024-02-28T20:59:59.999Z'), '2024-02-29T04:59:59+08:00');
  const late = { ...raise, transition: { ...raise.transition, at: '2024-12-31T16:00:00Z' } };
  const alert = checkCap(t, warningToCap(late, { ...opts, location: { lat: 31.2304, lon: 121.4737, radiusKm: 0.5 } }));
  t.equal(text(alert, 'identifier'), '31011541600_20250101000000_1');
  const area = child(child(alert, 'info'), 'area');
  t.equal(text(area, 'circle'), '31.2304,121.4737 0.5');
  t.throws(() => capTime('yesterday'), { code: 'GW_ERR_VALIDATION' });
});

t.test('bad options and warnings without an area code are refused', async (t) => {
  const system = { ...warning, blockCode: '' };
  t.throws(() => warningToCap({ ...raise, warning: system }, opts), { code: 'GW_ERR_VALIDATION' });
  const alert = checkCap(t, warningToCap({ ...raise, warning: system }, { ...opts, areaCode: '310115' }));
  t.equal(text(alert, 'identifier'), '31011541600_20240701083000_1');
  t.equal(text(child(child(alert, 'info'), 'area'), 'areaDesc'), '网格 310115');
  t.throws(() => warningToCap(raise, { ...opts, sender: 'a,b' }), { code: 'GW_ERR_VALIDATION' });
  t.throws(() => warningToCap(raise, { ...opts, agencyCode: '4_1' }), { code: 'GW_ERR_VALIDATION' });
  t.throws(() => warningToCap(raise, { ...opts, location: { lat: 91, lon: 0, radiusKm: 1 } }), { code: 'GW_ERR_VALIDATION' });
  t.throws(() => warningToCap({ ...raise, sequence: 0 }, opts), { code: 'GW_ERR_VALIDATION' });
});

t.test('the well-formedness check itself rejects broken XML', async (t) => {
  t.throws(() => parse('<a><b></a></b>'));
  t.throws(() => parse('<a>x & y</a>'));
  t.throws(() => parse('<a><b></b>'));
  t.throws(() => parse('<a></a><b></b>'));
});
