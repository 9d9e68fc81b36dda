import { maskName, maskPhone } from '../duty/mask.js';

/**
 * Personal data leaves the gateway masked (seed S13), as the district role sees it in the duty
 * API (gateway/duty/mask.ts): events carry people by id, but free text (a case description from
 * a 12345 report, a comment) and a few fields may still hold a name or a number. So, in a copy:
 * - phone fields (`phone`, `mobile`, `tel`, ...) become `138****5678`;
 * - person-name fields (`personName`, `acknowledgedBy`, `by`, ...) and the `name` of a person
 *   (an object with a phone field, or under `person`, `contact`, `reporter`, ...) become `张*`;
 * - mobile numbers (1[3-9] and nine digits) and dashed landline numbers (021-12345678) inside
 *   any other string are masked where they stand.
 */
const phoneKeys = new Set(['phone', 'mobile', 'tel', 'telephone', 'phoneNumber', 'contactPhone', 'reporterPhone', 'callerPhone']);
const personNameKeys = new Set(['personName', 'contactName', 'reporterName', 'callerName', 'acknowledgedBy', 'by']);
const personKeys = new Set(['person', 'people', 'contact', 'contacts', 'reporter', 'caller', 'officer', 'officers', 'leader', 'leaders', 'head', 'heads']);
const numberInText = /(?<![0-9])(1[3-9][0-9]{9}|0[0-9]{2,3}-[0-9]{7,8})(?![0-9])/g;

export function maskPersonalData<T>(value: T): T {
  return walk(value, '', false) as T;
}

function walk(value: unknown, key: string, inPerson: boolean): unknown {
  if (typeof value === 'string') return maskString(value, key, inPerson);
  if (Array.isArray(value)) return value.map((v) => walk(v, key, inPerson || personKeys.has(key)));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  const person = inPerson || personKeys.has(key) || entries.some(([k]) => phoneKeys.has(k));
  return Object.fromEntries(entries.map(([k, v]) => [k, walk(v, k, person)]));
}

function maskString(s: string, key: string, inPerson: boolean): string {
  if (phoneKeys.has(key)) return maskPhone(s);
  if (personNameKeys.has(key) || (inPerson && key === 'name')) return maskName(s);
  return s.replace(numberInText, (n) => maskPhone(n));
}
