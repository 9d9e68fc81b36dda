import { GatewayError } from '../core/errors.js';
import type { Grade } from '../../rules/schema.js';
import type { WarningView } from '../warnings/schema.js';
import type { TransitionView } from '../warnings/change.js';
import { CAP_NAMESPACE, capToken } from './cap-spec.js';

/**
 * OASIS CAP 1.2 XML for one warning change (docs/district-link.md "CAP 1.2"), from the
 * `warning` and `transition` of the notification payload. Pure: the times come from the input.
 */

export { CAP_NAMESPACE };

/** One earlier message of the same warning: CAP 1.2 §3.2.1 `references` is `sender,identifier,sent` triples. */
export interface CapReference {
  sender: string;
  identifier: string;
  sent: string;
}

export interface CapInput {
  warning: WarningView;
  transition: Pick<TransitionView, 'from' | 'to' | 'at' | 'reason'>;
  /** The `n` of the identifier: unique per sender and second (e.g. the outbox message id). */
  sequence: number;
  /** Earlier CAP messages of this warning, oldest first; required for Update and Cancel. */
  previous?: readonly CapReference[];
  /** `event` and the headline's subject: the rule's name (default: the rule id or category). */
  title?: string;
  /** A test message (status Test); drills come from `warning.exercise` (status Exercise). */
  test?: boolean;
}

export interface CapOptions {
  /** CAP `sender`: no spaces, commas, `<` or `&` (CAP 1.2 §3.2.1). */
  sender: string;
  /** GB/T 35965.1 agency and internal code, after the 6-digit area code in identifiers. */
  agencyCode: string;
  senderName: string;
  /** GB/T 2260 code used when the block code has fewer than 6 digits (system warnings). */
  areaCode?: string;
  /** Default: `网格 {blockCode}`. */
  areaDesc?: string;
  location?: { lat: number; lon: number; radiusKm: number };
}

export type CapMsgType = 'Alert' | 'Update' | 'Cancel';

const severities: Record<Grade, string> = { red: 'Extreme', orange: 'Severe', yellow: 'Moderate', blue: 'Minor' };
const gradeLabels: Record<Grade, string> = { red: '红色', orange: '橙色', yellow: '黄色', blue: '蓝色' };

// CAP 1.2 §3.2.2 category values; floods are Met, landslides Geo (the spec's own examples).
const categories: Record<string, string> = {
  rainstorm: 'Met', gale: 'Met', flash_flood: 'Met', geological: 'Geo',
  fire: 'Fire', gas: 'Safety', structure: 'Infra', equipment: 'Infra', other: 'Other',
};

export function capMsgType(t: CapInput['transition']): CapMsgType {
  if (t.to === null) return 'Cancel';
  return t.from === null ? 'Alert' : 'Update';
}

export function capSeverity(grade: Grade): string {
  return severities[grade];
}

export function capCategory(ruleCategory: string): string {
  return categories[ruleCategory] ?? 'Other';
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Shanghai wall-clock parts of an instant (China keeps no daylight saving). */
function shanghai(iso: string): string[] {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new GatewayError('GW_ERR_VALIDATION', `CAP: "${iso}" is not a time`);
  const d = new Date(ms + 8 * 3_600_000);
  return [pad(d.getUTCFullYear(), 4), pad(d.getUTCMonth() + 1), pad(d.getUTCDate()), pad(d.getUTCHours()), pad(d.getUTCMinutes()), pad(d.getUTCSeconds())];
}

/** CAP 1.2 §3.3.2 dateTime, always in +08:00: `2024-07-01T08:30:00+08:00`. */
export function capTime(iso: string): string {
  const [y, mo, d, h, mi, s] = shanghai(iso);
  return `${y}-${mo}-${d}T${h}:${mi}:${s}+08:00`;
}

function areaCodeOf(w: WarningView, opts: CapOptions): string {
  const digits = w.blockCode.replace(/\D/g, '');
  const code = digits.length >= 6 ? digits.slice(0, 6) : opts.areaCode;
  if (code === undefined || !/^\d{6}$/.test(code)) {
    throw new GatewayError('GW_ERR_VALIDATION', `CAP: warning ${w.id} has no 6-digit area code (block "${w.blockCode}") and opts.areaCode is not set`);
  }
  return code;
}

/** GB/T 35965.1 identifier: `{area code}{agency code}_{YYYYMMDDhhmmss}_{n}`. */
export function capIdentifier(input: CapInput, opts: CapOptions): string {
  if (!Number.isSafeInteger(input.sequence) || input.sequence < 1) throw new GatewayError('GW_ERR_VALIDATION', `CAP: sequence must be a positive integer, got ${input.sequence}`);
  return `${areaCodeOf(input.warning, opts)}${opts.agencyCode}_${shanghai(input.transition.at).join('')}_${input.sequence}`;
}

/** The reference a later Update or Cancel of the same warning gives to this message. */
export function capReference(input: CapInput, opts: CapOptions): CapReference {
  return { sender: opts.sender, identifier: capIdentifier(input, opts), sent: capTime(input.transition.at) };
}

/** XML 1.0 text: the five markup characters escaped, characters XML forbids dropped. */
export function xmlEscape(s: string): string {
  return s
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

function checkOptions(opts: CapOptions): void {
  if (!capToken.test(opts.sender)) throw new GatewayError('GW_ERR_VALIDATION', `CAP: sender "${opts.sender}" must not be empty or contain spaces, commas, < or &`);
  if (!/^[0-9A-Za-z]+$/.test(opts.agencyCode)) throw new GatewayError('GW_ERR_VALIDATION', `CAP: agencyCode "${opts.agencyCode}" must be letters and digits`);
  const l = opts.location;
  if (l && !(Math.abs(l.lat) <= 90 && Math.abs(l.lon) <= 180 && l.radiusKm >= 0 && Number.isFinite(l.radiusKm))) {
    throw new GatewayError('GW_ERR_VALIDATION', `CAP: location ${l.lat},${l.lon} ${l.radiusKm} km is not a WGS 84 point with a radius`);
  }
}

/** Fixed-point without exponent or trailing zeros (a `circle` is plain decimals). */
const decimal = (n: number) => n.toFixed(6).replace(/\.?0+$/, '');

type Node = [name: string, content: string | Node[]];

function render(node: Node, indent: string): string {
  const [name, content] = node;
  if (typeof content === 'string') return `${indent}<${name}>${xmlEscape(content)}</${name}>`;
  return `${indent}<${name}>\n${content.map((c) => render(c, `${indent}  `)).join('\n')}\n${indent}</${name}>`;
}

/** Child elements in the order the CAP 1.2 schema requires (alert, info, area sequences). */
function alertNodes(input: CapInput, opts: CapOptions): Node[] {
  const { warning: w, transition: t } = input;
  const msgType = capMsgType(t);
  const grade = t.to ?? t.from ?? w.grade;
  const previous = input.previous ?? [];
  if (msgType !== 'Alert' && previous.length === 0) {
    throw new GatewayError('GW_ERR_VALIDATION', `CAP: an ${msgType} of warning ${w.id} needs the earlier messages it references`);
  }
  const title = input.title ?? w.ruleId ?? w.category;
  const lifted = msgType === 'Cancel';
  const code = areaCodeOf(w, opts);
  const area: Node[] = [['areaDesc', opts.areaDesc ?? `网格 ${w.blockCode || code}`]];
  if (opts.location) area.push(['circle', `${decimal(opts.location.lat)},${decimal(opts.location.lon)} ${decimal(opts.location.radiusKm)}`]);
  area.push(['geocode', [['valueName', 'GB/T 2260'], ['value', code]]]);

  const info: Node[] = [
    ['language', 'zh-CN'],
    ['category', capCategory(w.category)],
    ['event', title],
    // AllClear is CAP's response for a lifted threat; Prepare at orange and red (seed 003 §四).
    ['responseType', lifted ? 'AllClear' : grade === 'orange' || grade === 'red' ? 'Prepare' : 'Monitor'],
    ['urgency', 'Immediate'],
    ['severity', capSeverity(grade)],
    ['certainty', 'Observed'],
    ['senderName', opts.senderName],
    ['headline', `${gradeLabels[grade]}预警${lifted ? '解除' : ''}：${title}`],
    ['description', t.reason],
    ['parameter', [['valueName', 'warningId'], ['value', w.id]]],
    ['parameter', [['valueName', 'grade'], ['value', grade]]],
    ['area', area],
  ];

  const alert: Node[] = [
    ['identifier', capIdentifier(input, opts)],
    ['sender', opts.sender],
    ['sent', capTime(t.at)],
    ['status', input.test ? 'Test' : w.exercise ? 'Exercise' : 'Actual'],
    ['msgType', msgType],
    ['scope', 'Public'],
  ];
  if (w.exercise && !input.test) alert.push(['note', '演练：由演练或模拟数据产生 (exercise: raised from drill or simulated data)']);
  if (previous.length > 0) alert.push(['references', previous.map((r) => `${r.sender},${r.identifier},${r.sent}`).join(' ')]);
  alert.push(['info', info]);
  return alert;
}

/** The CAP 1.2 document for this warning change. */
export function warningToCap(input: CapInput, opts: CapOptions): string {
  checkOptions(opts);
  for (const r of input.previous ?? []) {
    if (![r.sender, r.identifier, r.sent].every((s) => capToken.test(s))) {
      throw new GatewayError('GW_ERR_VALIDATION', `CAP: reference "${r.sender},${r.identifier},${r.sent}" has an empty part, a space, a comma, < or &`);
    }
  }
  const body = alertNodes(input, opts).map((n) => render(n, '  ')).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<alert xmlns="${CAP_NAMESPACE}">\n${body}\n</alert>\n`;
}
