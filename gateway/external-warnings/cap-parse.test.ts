import t from 'tap';
import { capFromXml, capTimeMs, parseReferences } from './cap-parse.js';
import { decodeXml, parseXml } from './xml.js';
import { fixture } from './test-support.js';

const parse = (xml: string) => capFromXml(parseXml(xml));
const orange = fixture('rainstorm-orange');
const invalid = (field: string) => ({ code: 'GW_ERR_CAP_INVALID', details: [{ field }] });

void t.test('the fixtures: Alert, Update and Cancel in full', async (t) => {
  const a = parse(orange);
  t.match(a, {
    identifier: '33050241600000_20240701083000', sender: 'qxt.wuxing@weather.example.cn', sent: '2024-07-01T08:30:00+08:00', status: 'Actual', msgType: 'Alert', scope: 'Public',
    code: [], references: [],
  });
  t.same(a.info[0], {
    language: 'zh-CN', category: ['Met'], event: '暴雨', responseType: ['Prepare'], urgency: 'Immediate', severity: 'Severe', certainty: 'Likely', eventCode: [],
    effective: '2024-07-01T08:30:00+08:00', expires: '2024-07-02T08:30:00+08:00', senderName: '湖州市吴兴区气象台', headline: '吴兴区气象台发布暴雨橙色预警信号',
    description: a.info[0]?.description, instruction: a.info[0]?.instruction, parameter: [{ valueName: '预警信号', value: '暴雨橙色' }], resource: [],
    area: [{ areaDesc: '湖州市吴兴区织里镇、八里店镇', polygon: [], circle: [], geocode: [{ valueName: 'GB/T 2260', value: '330502' }] }],
  });
  t.match(a.info[0]?.description, /^吴兴区气象台2024年07月01日08时30分/);
  t.same(parse(fixture('rainstorm-update-red')).references, [{ sender: 'qxt.wuxing@weather.example.cn', identifier: '33050241600000_20240701083000', sent: '2024-07-01T08:30:00+08:00' }]);
  const cancel = parse(fixture('rainstorm-cancel'));
  t.equal(cancel.msgType, 'Cancel');
  t.same(cancel.references.map((r) => r.identifier), ['33050241600000_20240701083000', '33050241600000_20240701103000']);
});

void t.test('dateTime: CAP 1.2 §3.3.2 form with an offset, real calendar times only', async (t) => {
  t.equal(capTimeMs('2024-07-01T08:30:00+08:00', 'x'), Date.parse('2024-07-01T00:30:00Z'));
  t.equal(capTimeMs('2024-07-01T00:30:00-00:00', 'x'), Date.parse('2024-07-01T00:30:00Z'));
  t.equal(capTimeMs('2024-06-30T19:30:00-05:00', 'x'), Date.parse('2024-07-01T00:30:00Z'));
  t.equal(capTimeMs('2024-02-29T00:00:00+08:00', 'x'), Date.parse('2024-02-28T16:00:00Z'), 'a leap day');
  for (const bad of ['2024-07-01T08:30:00Z', '2024-07-01T08:30:00.5+08:00', '2024-07-01 08:30:00+08:00', '2023-02-29T00:00:00+08:00', '2024-07-01T24:00:00+08:00', '2024-07-01T08:60:00+08:00', '2024-07-01T08:30:00+15:00', '']) {
    t.throws(() => capTimeMs(bad, 'alert/sent'), invalid('alert/sent'), bad);
  }
});

void t.test('references: space-separated triples, any whitespace', async (t) => {
  t.same(parseReferences(' a,1,2024-07-01T08:30:00+08:00\n\tb,2,2024-07-01T09:30:00+08:00 ', 'r'), [
    { sender: 'a', identifier: '1', sent: '2024-07-01T08:30:00+08:00' },
    { sender: 'b', identifier: '2', sent: '2024-07-01T09:30:00+08:00' },
  ]);
  t.throws(() => parseReferences('a,1,2024-07-01T08:30:00+08:00,extra', 'r'), invalid('r'));
  t.throws(() => parseReferences('a,,2024-07-01T08:30:00+08:00', 'r'), invalid('r'));
});

void t.test('text: predefined entities and character references decoded, CDATA literal, comments skipped', async (t) => {
  const a = parse(orange
    .replace('<event>暴雨</event>', '<event>暴雨&amp;大风 &#x4e2d;&#20013; &lt;1&gt;</event>')
    .replace('<headline>吴兴区气象台发布暴雨橙色预警信号</headline>', '<headline><![CDATA[a &amp; <b>]]><!-- note --> c</headline>'));
  t.equal(a.info[0]?.event, '暴雨&大风 中中 <1>');
  t.equal(a.info[0]?.headline, 'a &amp; <b> c');
  t.throws(() => parse(orange.replace('<event>暴雨</event>', '<event>&#0;</event>')), invalid('xml'), 'a character XML forbids');
});

void t.test('optional parts: resources, polygons, circles, altitude; empty optional elements are absent', async (t) => {
  const extra = orange
    .replace('</instruction>', '</instruction><web> </web>')
    .replace('</parameter>', '</parameter><resource><resourceDesc>雷达图</resourceDesc><mimeType>image/png</mimeType><size>1024</size><uri>https://example.cn/r.png</uri></resource>')
    .replace('</areaDesc>', '</areaDesc><polygon>30.8,120.1 30.9,120.2 30.8,120.3 30.8,120.1</polygon><circle>30.85,120.2 5</circle>')
    .replace('</geocode>', '</geocode><altitude>0</altitude><ceiling>1000</ceiling>');
  const info = parse(extra).info[0];
  t.notOk(info && 'web' in info, 'an empty optional element counts as absent');
  t.same(info?.resource, [{ resourceDesc: '雷达图', mimeType: 'image/png', size: 1024, uri: 'https://example.cn/r.png' }]);
  t.match(info?.area[0], { polygon: ['30.8,120.1 30.9,120.2 30.8,120.3 30.8,120.1'], circle: ['30.85,120.2 5'], altitude: 0, ceiling: 1000 });
  t.throws(() => parse(extra.replace('<altitude>0</altitude>', '')), invalid('alert/info[1]/area[1]/ceiling'));
  t.throws(() => parse(extra.replace('<size>1024</size>', '<size>1 KB</size>')), invalid('alert/info[1]/resource[1]/size'));
  t.throws(() => parse(extra.replace('<mimeType>image/png</mimeType>', '')), invalid('alert/info[1]/resource[1]/mimeType'));
  t.throws(() => parse(extra.replace('30.8,120.3 30.8,120.1', '30.8,120.3 30.8,120.4')), invalid('alert/info[1]/area[1]/polygon[1]'), 'a polygon must close');
  t.throws(() => parse(orange.replace('</parameter>', '</parameter><parameter><valueName>x</valueName></parameter>')), invalid('alert/info[1]/parameter[2]/value'));
  t.throws(() => parse(orange.replace('<language>zh-CN</language>', '<language>zh CN</language>')), invalid('alert/info[1]/language'));
});

void t.test('several infos, codes and a Private scope with addresses', async (t) => {
  const en = orange.match(/<info>[\s\S]*<\/info>/)?.[0].replace('zh-CN', 'en-US').replace('<event>暴雨</event>', '<event>Rainstorm</event>') ?? '';
  const a = parse(orange.replace('</info>', `</info>\n${en}`).replace('<scope>Public</scope>', '<scope>Private</scope><addresses>ops@town.example</addresses><code>IPAWSv1.0</code><code>CMA</code>'));
  t.same(a.info.map((i) => i.language), ['zh-CN', 'en-US']);
  t.same(a.code, ['IPAWSv1.0', 'CMA']);
  t.equal(a.addresses, 'ops@town.example');
  t.throws(() => parse(orange.replace('<scope>Public</scope>', '<scope>Private</scope>')), invalid('alert/addresses'));
  t.throws(() => parse(orange.replace('<info>', '<x:info xmlns:x="urn:other"/><info>')), invalid('alert/info'), 'foreign elements are not allowed');
  t.throws(() => parse(orange.replace('<info>', '<info><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/>')), invalid('alert/info[1]/Signature'), 'a signature belongs to <alert>, not <info>');
});

void t.test('XML limits: depth, one root; charsets', async (t) => {
  t.throws(() => parseXml(`${'<a>'.repeat(40)}${'</a>'.repeat(40)}`), invalid('xml'), 'too deep');
  t.throws(() => parseXml('<a/><b/>'), invalid('xml'));
  t.equal(decodeXml(Buffer.from([0xd6, 0xd0]), 'application/cap+xml; charset=GBK'), '中', 'charset from the Content-Type');
  t.equal(decodeXml(Buffer.concat([Buffer.from('<?xml version="1.0" encoding="gb18030"?><a>'), Buffer.from([0xd6, 0xd0]), Buffer.from('</a>')]), 'text/xml'), '<?xml version="1.0" encoding="gb18030"?><a>中</a>', 'from the declaration');
  t.equal(decodeXml(Buffer.from('\uFEFF<a>中</a>'), undefined), '<a>中</a>', 'UTF-8 with a BOM');
  t.throws(() => decodeXml(Buffer.from([0x3c, 0x61, 0x3e, 0xff, 0x3c]), 'application/xml'), invalid('encoding'), 'not UTF-8');
  t.throws(() => decodeXml(Buffer.from('<a/>'), 'application/xml; charset=latin1'), invalid('encoding'));
});
