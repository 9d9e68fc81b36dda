import t from 'tap';
import { adminPrefix, blockCodeOf, callPlanCategory, decidingInfo, expiresAtMs, gradeOfSeverity, infoGrade, mapAlert } from './mapping.js';
import type { CapAlert, CapInfo } from './schema.js';

const info = (over: Partial<CapInfo> = {}): CapInfo => ({
  language: 'zh-CN', category: ['Met'], event: '暴雨', responseType: [], urgency: 'Immediate', severity: 'Severe', certainty: 'Likely',
  eventCode: [], parameter: [], resource: [], area: [], ...over,
});
const alert = (infos: CapInfo[]): CapAlert => ({
  identifier: 'a1', sender: 's', sent: '2024-07-01T08:30:00+08:00', status: 'Actual', msgType: 'Alert', scope: 'Public', code: [], references: [], info: infos,
});

void t.test('severity → grade, the inverse of our CAP output; Unknown is blue', async (t) => {
  t.same((['Extreme', 'Severe', 'Moderate', 'Minor', 'Unknown'] as const).map(gradeOfSeverity), ['red', 'orange', 'yellow', 'blue', 'blue']);
});

void t.test('the 预警信号 colour takes precedence: parameter, then event, then headline, then severity', async (t) => {
  t.equal(infoGrade(info({ severity: 'Moderate' })), 'yellow', 'no colour: severity');
  t.equal(infoGrade(info({ severity: 'Moderate', headline: '发布暴雨橙色预警信号' })), 'orange', 'headline colour');
  t.equal(infoGrade(info({ severity: 'Moderate', headline: '将暴雨橙色预警信号升级为红色' })), 'red', 'the last colour named in the headline');
  t.equal(infoGrade(info({ severity: 'Extreme', event: '暴雨黄色预警', headline: '暴雨红色' })), 'yellow', 'event before headline');
  t.equal(infoGrade(info({ severity: 'Minor', event: '暴雨黄色预警', parameter: [{ valueName: '预警级别', value: 'Ⅱ级' }] })), 'orange', 'parameter level first');
  t.equal(infoGrade(info({ parameter: [{ valueName: 'grade', value: 'red' }] })), 'red', 'our own CAP output (parameter grade)');
  t.equal(infoGrade(info({ parameter: [{ valueName: 'colour', value: 'III' }] })), 'yellow');
  t.equal(infoGrade(info({ severity: 'Unknown', parameter: [{ valueName: 'warningId', value: '42' }] })), 'blue', 'other parameters are not colours');
});

void t.test('call-plan category from the event words, then the CAP category', async (t) => {
  const cases: Array<[Partial<CapInfo>, string]> = [
    [{ event: '暴雨' }, 'rainstorm'], [{ event: '城市内涝' }, 'rainstorm'], [{ event: 'Heavy Rain' }, 'rainstorm'],
    [{ event: '雷雨大风' }, 'gale'], [{ event: '台风' }, 'gale'], [{ event: 'Thunderstorm' }, 'gale'],
    [{ event: '山洪灾害' }, 'flash_flood'], [{ event: 'Flood Warning', category: ['Env'] }, 'flash_flood'],
    [{ event: '地质灾害气象风险', category: ['Geo'] }, 'geological'], [{ event: '泥石流' }, 'geological'],
    [{ event: '森林火险', category: ['Fire'] }, 'fire'], [{ event: '燃气泄漏', category: ['Safety'] }, 'gas'],
    [{ event: '危房', category: ['Infra'] }, 'structure'], [{ event: '桥梁限行', category: ['Transport'] }, 'structure'],
    [{ event: '高温' }, 'other'], [{ event: '道路结冰', category: ['Transport'] }, 'other'],
    [{ event: '地震', category: ['Geo'] }, 'geological'], [{ event: '停电', category: ['Infra'] }, 'structure'], [{ event: '病虫害', category: ['Env'] }, 'other'],
  ];
  for (const [over, expected] of cases) t.equal(callPlanCategory(info(over)), expected, `${over.event} (${(over.category ?? ['Met']).join()})`);
  t.equal(callPlanCategory(info({ event: '预警', headline: '暴雨蓝色预警' })), 'rainstorm', 'the headline counts too');
});

void t.test('block code from geocodes: our blockCode, else GB/T 2260 trimmed to its level; several give the common prefix', async (t) => {
  const geo = (...codes: Array<[string, string]>) => info({ area: [{ areaDesc: 'x', polygon: [], circle: [], geocode: codes.map(([valueName, value]) => ({ valueName, value })) }] });
  t.equal(blockCodeOf(geo(['GB/T 2260', '330502'])), '330502');
  t.equal(blockCodeOf(geo(['gb2260', '330500'])), '3305', 'the whole city');
  t.equal(blockCodeOf(geo(['行政区划代码', '330502001000'])), '330502001', 'a town (12-digit statistical code)');
  t.equal(blockCodeOf(geo(['GB/T 2260', '330502'], ['GB/T 2260', '330503'])), '3305', 'cut to the city level, not 33050');
  t.equal(blockCodeOf(geo(['GB/T 2260', '330502'], ['GB/T 2260', '310117'])), '', 'no common province');
  t.equal(blockCodeOf(geo(['GB/T 2260', '330502'], ['blockCode', '33050210-1001-0203'], ['blockCode', '3305021010010299'])), '33050210100102', 'our own block codes win (dashes ignored)');
  t.equal(blockCodeOf(geo(['SAME', '006109'], ['GB/T 2260', '33x502'])), '', 'other schemes and bad codes are ignored');
  t.equal(blockCodeOf(info()), '');
  t.equal(adminPrefix('330000'), '33');
  t.equal(adminPrefix('12345'), undefined);
});

void t.test('the deciding info: the highest grade, ties to the Chinese one; expiry is the latest info expires', async (t) => {
  const zh = info({ severity: 'Severe', headline: '暴雨橙色预警', expires: '2024-07-02T08:30:00+08:00' });
  const en = info({ language: 'en-US', severity: 'Severe', event: 'Rainstorm', expires: '2024-07-02T10:30:00+08:00' });
  t.equal(decidingInfo(alert([en, zh])), zh, 'a tie: the Chinese one');
  const red = info({ language: 'en-US', severity: 'Extreme', event: 'Flash flood' });
  t.equal(decidingInfo(alert([zh, red])), red, 'the highest grade');
  t.match(mapAlert(alert([zh, red])), { grade: 'red', category: 'flash_flood', title: 'Flash flood', reason: 'CAP Alert from s: Flash flood, severity Extreme' });
  t.match(mapAlert(alert([zh])), { grade: 'orange', title: '暴雨橙色预警', reason: /signal orange/ });
  t.equal(mapAlert(alert([])), undefined);
  t.equal(expiresAtMs(alert([zh, en])), Date.parse('2024-07-02T02:30:00Z'));
  t.equal(expiresAtMs(alert([zh, red])), null, 'an info without expires never expires');
  t.equal(expiresAtMs(alert([])), null);
});
