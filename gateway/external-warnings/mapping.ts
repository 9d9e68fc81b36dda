import { grades, gradeLevel, type Grade } from '../../rules/schema.js';
import { capSeverity } from '../district/cap.js';
import type { CapSeverity } from '../district/cap-spec.js';
import type { CapAlert, CapInfo } from './schema.js';
import { capTimeMs } from './cap-parse.js';

/**
 * How a CAP alert becomes a warning beside our own (docs/external-warnings.md "Mapping"): its
 * grade, call-plan category, block code, title and expiry. Pure.
 */

/** CAP severity → grade: the inverse of our own CAP output (DOMAIN.md); Unknown is blue (shown, nobody woken). */
export function gradeOfSeverity(severity: CapSeverity): Grade {
  return grades.find((g) => capSeverity(g) === severity) ?? 'blue';
}

const colours: Array<[RegExp, Grade]> = [[/红|\bred\b|Ⅰ|\bI\b/i, 'red'], [/橙|\borange\b|Ⅱ|\bII\b/i, 'orange'], [/黄|\byellow\b|Ⅲ|\bIII\b/i, 'yellow'], [/蓝|\bblue\b|Ⅳ|\bIV\b/i, 'blue']];
// Parameters that carry the 预警信号 colour or level: GB/T 35965.1 feeds and our own CAP (`grade`).
const colourParameter = /颜色|级别|等级|信号|colou?r|level|grade/i;
// 暴雨橙色预警信号, 升级为红色预警: the last colour named is the one in force.
const colourInText = /(红|橙|黄|蓝)色/g;
const chineseColours: Record<string, Grade> = { 红: 'red', 橙: 'orange', 黄: 'yellow', 蓝: 'blue' };

/** The 预警信号 colour an info carries, if any: a colour parameter first, then the event, then the headline. */
export function signalColour(info: CapInfo): Grade | undefined {
  for (const p of info.parameter) {
    if (!colourParameter.test(p.valueName)) continue;
    const hit = colours.find(([re]) => re.test(p.value));
    if (hit) return hit[1];
  }
  for (const text of [info.event, info.headline ?? '']) {
    const all = [...text.matchAll(colourInText)];
    const last = all[all.length - 1]?.[1];
    if (last) return chineseColours[last];
  }
  return undefined;
}

/** The grade of one info: its signal colour when it names one (the issuer's own grading), else its severity. */
export function infoGrade(info: CapInfo): Grade {
  return signalColour(info) ?? gradeOfSeverity(info.severity);
}

// Event words → call-plan category (gateway/duty/plans.ts), most specific first; seed 003 §四2 names
// 强降雨, 雷雨大风, 山洪地质灾害, 森林防灭火.
const eventCategories: Array<[RegExp, string]> = [
  [/山洪|洪水|洪涝|溃坝|决堤|\bflood/i, 'flash_flood'],
  [/地质灾害|滑坡|泥石流|崩塌|地面塌陷|\blandslide|\bdebris/i, 'geological'],
  [/火险|火灾|山火|火情|\bfire|wildfire/i, 'fire'],
  [/暴雨|强降雨|降雨|内涝|积水|\brain/i, 'rainstorm'],
  [/台风|大风|雷雨大风|雷电|冰雹|龙卷|飑线|\btyphoon|\bgale|\bwind|\bthunder|\bhail|\btornado/i, 'gale'],
  [/燃气|天然气|\bgas\b/i, 'gas'],
  [/建筑|房屋|危房|桥梁|隧道|工地|施工|\bstructur|\bbuilding|\bbridge/i, 'structure'],
];
// When the event names none of them: by CAP category. Met events we do not recognise (高温, 大雾,
// 寒潮, 道路结冰) take the default plan through `other`.
const capCategories: Partial<Record<string, string>> = { Geo: 'geological', Fire: 'fire', Infra: 'structure' };

export function callPlanCategory(info: CapInfo): string {
  const text = `${info.event} ${info.headline ?? ''}`;
  const hit = eventCategories.find(([re]) => re.test(text));
  if (hit) return hit[1];
  for (const c of info.category) {
    const mapped = capCategories[c];
    if (mapped) return mapped;
  }
  return 'other';
}

// GB/T 2260 / statistical division codes: province 2, city 2, county 2, town 3, village 3 digits.
const levels = [2, 4, 6, 9, 12];
const adminNames = new Set(['gb/t2260', 'gbt2260', 'gb2260', 'adcode', 'areacode', '行政区划代码', '行政区划']);

/** `330500` (the whole city) → `3305`: trailing all-zero levels say "all of it", a block-code prefix says the same. */
export function adminPrefix(code: string): string | undefined {
  if (![6, 9, 12].includes(code.length) || !/^\d+$/.test(code)) return undefined;
  let out = code;
  for (let i = levels.length - 1; i > 0; i--) {
    const lo = levels[i - 1] ?? 0;
    const hi = levels[i] ?? 0;
    if (out.length === hi && /^0+$/.test(out.slice(lo))) out = out.slice(0, lo);
  }
  return out;
}

function commonPrefix(codes: string[]): string {
  if (codes.length === 0) return '';
  let p = codes[0] ?? '';
  for (const c of codes) while (!c.startsWith(p)) p = p.slice(0, -1);
  return p;
}

/**
 * The block code the alert is about: our own grid codes (geocode `blockCode`) when given, else the
 * GB/T 2260 administrative codes; several codes give their common prefix (cut to an administrative
 * level for GB/T 2260). Empty when nothing names a place.
 */
export function blockCodeOf(info: CapInfo): string {
  const geocodes = info.area.flatMap((a) => a.geocode);
  const own = geocodes.filter((g) => g.valueName.toLowerCase() === 'blockcode').map((g) => g.value.replace(/-/g, '')).filter((v) => /^\d{1,24}$/.test(v));
  if (own.length > 0) return commonPrefix(own);
  const admin = geocodes
    .filter((g) => adminNames.has(g.valueName.toLowerCase().replace(/\s+/g, '')))
    .map((g) => adminPrefix(g.value.trim()))
    .filter((v): v is string => v !== undefined);
  const prefix = commonPrefix(admin);
  return prefix.slice(0, [...levels].reverse().find((l) => l <= prefix.length) ?? 0);
}

/** The info that decides: the highest grade; on a tie the first Chinese one, then the first. */
export function decidingInfo(alert: CapAlert): CapInfo | undefined {
  let best: CapInfo | undefined;
  for (const info of alert.info) {
    if (!best) {
      best = info;
      continue;
    }
    const d = gradeLevel(infoGrade(info)) - gradeLevel(infoGrade(best));
    if (d > 0 || (d === 0 && /^zh/i.test(info.language) && !/^zh/i.test(best.language))) best = info;
  }
  return best;
}

/** When the alert stops being in force: the latest info `expires`; null when an info has none (never). */
export function expiresAtMs(alert: CapAlert): number | null {
  if (alert.info.length === 0) return null;
  let latest = -Infinity;
  for (const [i, info] of alert.info.entries()) {
    if (info.expires === undefined) return null;
    latest = Math.max(latest, capTimeMs(info.expires, `alert/info[${i + 1}]/expires`));
  }
  return latest;
}

export interface WarningMapping {
  grade: Grade;
  category: string;
  blockCode: string;
  title: string;
  reason: string;
  info: CapInfo;
}

/** What the warning of an Alert or Update looks like (undefined without an info). */
export function mapAlert(alert: CapAlert): WarningMapping | undefined {
  const info = decidingInfo(alert);
  if (!info) return undefined;
  const grade = infoGrade(info);
  const colour = signalColour(info);
  const by = info.senderName ?? alert.sender;
  return {
    grade,
    category: callPlanCategory(info),
    blockCode: blockCodeOf(info),
    title: info.headline ?? info.event,
    reason: `CAP ${alert.msgType} from ${by}: ${info.event}, severity ${info.severity}${colour ? `, signal ${colour}` : ''}`,
    info,
  };
}
