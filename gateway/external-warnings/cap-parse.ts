import { CAP_NAMESPACE, capDateTime, capStructure, capToken, capValues, type CapGroup, type CapValueList } from '../district/cap-spec.js';
import { capInvalid, type XmlElement } from './xml.js';
import type { CapAlert, CapArea, CapInfo, CapPair, CapReference } from './schema.js';

/**
 * Validates an XML element tree against the CAP 1.2 structure (CAP-v1.2-os §3.2, schema §3.4) and
 * returns the alert as JSON. Every problem is a GW_ERR_CAP_INVALID naming the element by its
 * path (`alert/info[1]/severity`).
 */

// The schema's alert sequence ends with `<any namespace="xmldsig">`: signatures are allowed (and not verified).
const signatureNamespaces = new Set(['http://www.w3.org/2000/09/xmldsig#', 'http://www.w3.org/2001/04/xmlenc#']);

type Children = Map<string, Array<{ el: XmlElement; path: string }>>;

/** Checks a container's children (known, CAP namespace, schema order, cardinality, required) and groups them by name. */
function children(el: XmlElement, group: CapGroup, path: string): Children {
  if (el.text.trim() !== '') throw capInvalid(`<${el.name}> holds elements, not text ("${el.text.trim().slice(0, 40)}")`, path);
  const spec = capStructure[group];
  const out: Children = new Map();
  let last = -1;
  for (const c of el.children) {
    if (c.ns !== CAP_NAMESPACE) {
      if (group === 'alert' && c.ns !== null && signatureNamespaces.has(c.ns)) continue;
      throw capInvalid(`<${c.name}> ${c.ns ? `in namespace ${c.ns}` : 'without a namespace'} is not allowed in <${el.name}> (CAP 1.2 elements are in ${CAP_NAMESPACE})`, `${path}/${c.name}`);
    }
    const at = spec.findIndex((s) => s.name === c.name);
    const s = spec[at];
    if (!s) throw capInvalid(`<${c.name}> is not a CAP 1.2 element of <${el.name}>`, `${path}/${c.name}`);
    if (at < last) throw capInvalid(`<${c.name}> is out of order: CAP 1.2 puts it before <${spec[last]?.name}>`, `${path}/${c.name}`);
    last = at;
    const list = out.get(c.name) ?? [];
    list.push({ el: c, path: s.max === 'n' ? `${path}/${c.name}[${list.length + 1}]` : `${path}/${c.name}` });
    out.set(c.name, list);
    if (s.max === 1 && list.length > 1) throw capInvalid(`<${c.name}> appears more than once; CAP 1.2 allows one`, `${path}/${c.name}`);
  }
  for (const s of spec) if (s.min === 1 && !out.has(s.name)) throw capInvalid(`required element <${s.name}> is missing`, `${path}/${s.name}`);
  return out;
}

function leafText(x: { el: XmlElement; path: string }): string {
  if (x.el.children.length > 0) throw capInvalid(`<${x.el.name}> holds text, not elements`, x.path);
  return x.el.text.trim();
}

/** Texts of all occurrences; an empty required element is an error, an empty optional one counts as absent. */
function texts(c: Children, name: string, required: boolean): Array<{ text: string; path: string }> {
  const out: Array<{ text: string; path: string }> = [];
  for (const x of c.get(name) ?? []) {
    const text = leafText(x);
    if (text !== '') out.push({ text, path: x.path });
    else if (required) throw capInvalid(`<${name}> is empty`, x.path);
  }
  return out;
}

const one = (c: Children, name: string): string => texts(c, name, true)[0]?.text ?? '';
const optional = (c: Children, name: string): string | undefined => texts(c, name, false)[0]?.text;

function valueOf<K extends CapValueList>(list: K, x: { text: string; path: string }): (typeof capValues)[K][number] {
  const allowed = capValues[list] as readonly string[];
  if (!allowed.includes(x.text)) throw capInvalid(`"${x.text}" is not a CAP 1.2 ${list} (one of ${allowed.join(', ')})`, x.path);
  return x.text as (typeof capValues)[K][number];
}
const oneValue = <K extends CapValueList>(c: Children, name: K) => valueOf(name, texts(c, name, true)[0] ?? { text: '', path: name });

/** CAP 1.2 §3.3.2 dateTime, and a real calendar time: returns epoch ms. */
export function capTimeMs(text: string, path: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})([-+])(\d{2}):(\d{2})$/.exec(text);
  if (!capDateTime.test(text) || !m) throw capInvalid(`"${text}" is not a CAP 1.2 dateTime (like 2024-07-01T08:30:00+08:00: a numeric offset, no fractions, no Z)`, path);
  const [y, mo, d, h, mi, s, sign, oh, om] = m.slice(1).map((v, i) => (i === 6 ? v : Number(v))) as [number, number, number, number, number, number, string, number, number];
  const local = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(local);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59 || oh > 14 || om > 59) {
    throw capInvalid(`"${text}" is not a calendar time`, path);
  }
  return local - (sign === '+' ? 1 : -1) * (oh * 60 + om) * 60_000;
}

function time(c: Children, name: string): string | undefined {
  const x = texts(c, name, false)[0];
  if (x) capTimeMs(x.text, x.path);
  return x?.text;
}

function token(c: Children, name: string): string {
  const x = texts(c, name, true)[0];
  if (x && !capToken.test(x.text)) throw capInvalid(`"${x.text}" must not contain spaces, commas, < or & (CAP 1.2 §3.2.1)`, x.path);
  return x?.text ?? '';
}

/** `references`: space-separated `sender,identifier,sent` triples (CAP 1.2 §3.2.1). */
export function parseReferences(text: string, path: string): CapReference[] {
  return text.split(/\s+/).filter((s) => s !== '').map((triple) => {
    const parts = triple.split(',');
    const [sender, identifier, sent] = parts;
    if (parts.length !== 3 || !sender || !identifier || !sent) throw capInvalid(`"${triple}" is not a sender,identifier,sent triple`, path);
    capTimeMs(sent, path);
    return { sender, identifier, sent };
  });
}

function pairs(c: Children, name: string): CapPair[] {
  return (c.get(name) ?? []).map((x) => {
    const p = children(x.el, 'pair', x.path);
    return { valueName: one(p, 'valueName'), value: one(p, 'value') };
  });
}

function decimal(c: Children, name: string): number | undefined {
  const x = texts(c, name, false)[0];
  if (!x) return undefined;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)$/.test(x.text)) throw capInvalid(`"${x.text}" is not a decimal number`, x.path);
  return Number(x.text);
}

const point = (s: string): boolean => {
  const m = /^([-+]?\d+(?:\.\d+)?),([-+]?\d+(?:\.\d+)?)$/.exec(s);
  return !!m && Math.abs(Number(m[1])) <= 90 && Math.abs(Number(m[2])) <= 180;
};

function area(x: { el: XmlElement; path: string }): CapArea {
  const c = children(x.el, 'area', x.path);
  const polygon = texts(c, 'polygon', true).map((p) => {
    // CAP 1.2 §3.2.4: four or more WGS 84 pairs, the first and last the same.
    const points = p.text.split(/\s+/);
    if (points.length < 4 || !points.every(point) || points[0] !== points[points.length - 1]) {
      throw capInvalid('a polygon is four or more "lat,lon" pairs, space-separated, the first and last the same', p.path);
    }
    return p.text;
  });
  const circle = texts(c, 'circle', true).map((p) => {
    const [centre, radius, ...rest] = p.text.split(/\s+/);
    if (rest.length > 0 || !centre || !point(centre) || !radius || !/^\d+(\.\d+)?$/.test(radius)) throw capInvalid('a circle is "lat,lon radius" (radius in km)', p.path);
    return p.text;
  });
  const altitude = decimal(c, 'altitude');
  const ceiling = decimal(c, 'ceiling');
  if (ceiling !== undefined && altitude === undefined) throw capInvalid('<ceiling> may only be used with <altitude>', `${x.path}/ceiling`);
  return {
    areaDesc: one(c, 'areaDesc'), polygon, circle, geocode: pairs(c, 'geocode'),
    ...(altitude !== undefined ? { altitude } : {}), ...(ceiling !== undefined ? { ceiling } : {}),
  };
}

function info(x: { el: XmlElement; path: string }): CapInfo {
  const c = children(x.el, 'info', x.path);
  const language = optional(c, 'language') ?? 'en-US';
  if (!/^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(language)) throw capInvalid(`"${language}" is not an RFC 3066 language code`, `${x.path}/language`);
  const opt = (name: string) => {
    const v = optional(c, name);
    return v !== undefined ? { [name]: v } : {};
  };
  const times = Object.fromEntries((['effective', 'onset', 'expires'] as const).flatMap((n) => {
    const v = time(c, n);
    return v !== undefined ? [[n, v]] : [];
  }));
  return {
    language,
    category: texts(c, 'category', true).map((v) => valueOf('category', v)),
    event: one(c, 'event'),
    responseType: texts(c, 'responseType', true).map((v) => valueOf('responseType', v)),
    urgency: oneValue(c, 'urgency'),
    severity: oneValue(c, 'severity'),
    certainty: oneValue(c, 'certainty'),
    ...opt('audience'),
    eventCode: pairs(c, 'eventCode'),
    ...times,
    ...opt('senderName'), ...opt('headline'), ...opt('description'), ...opt('instruction'), ...opt('web'), ...opt('contact'),
    parameter: pairs(c, 'parameter'),
    resource: (c.get('resource') ?? []).map((r) => {
      const rc = children(r.el, 'resource', r.path);
      const size = texts(rc, 'size', false)[0];
      if (size && !/^\d{1,15}$/.test(size.text)) throw capInvalid(`"${size.text}" is not a size in bytes`, size.path);
      const ropt = (name: string) => {
        const v = optional(rc, name);
        return v !== undefined ? { [name]: v } : {};
      };
      return { resourceDesc: one(rc, 'resourceDesc'), mimeType: one(rc, 'mimeType'), ...(size ? { size: Number(size.text) } : {}), ...ropt('uri'), ...ropt('derefUri'), ...ropt('digest') };
    }),
    area: (c.get('area') ?? []).map(area),
  };
}

// Update, Cancel, Ack and Error act on "the earlier message(s) identified in <references>" (CAP 1.2 §3.2.1 msgType).
const needsReferences = new Set(['Update', 'Cancel', 'Ack', 'Error']);
// Our rule, beyond the schema: an Alert or Update without an info says nothing we can grade.
const needsInfo = new Set(['Alert', 'Update']);

/** The CAP 1.2 alert in the tree, or GW_ERR_CAP_INVALID naming the first problem. */
export function capFromXml(root: XmlElement): CapAlert {
  if (root.name !== 'alert' || root.ns !== CAP_NAMESPACE) {
    const what = root.ns?.startsWith('urn:oasis:names:tc:emergency:cap:') ? `a CAP ${root.ns.split(':').pop()} alert; only CAP 1.2 is accepted` : `<${root.name}>${root.ns ? ` in namespace ${root.ns}` : ' without a namespace'}`;
    throw capInvalid(`not a CAP 1.2 alert: the root is ${what} (expected <alert xmlns="${CAP_NAMESPACE}">)`, 'alert');
  }
  const c = children(root, 'alert', 'alert');
  const scope = oneValue(c, 'scope');
  const msgType = oneValue(c, 'msgType');
  const opt = (name: string) => {
    const v = optional(c, name);
    return v !== undefined ? { [name]: v } : {};
  };
  // CAP 1.2 §3.2.1: restriction is used when scope is Restricted, addresses when it is Private.
  if (scope === 'Restricted' && optional(c, 'restriction') === undefined) throw capInvalid('scope Restricted needs <restriction>', 'alert/restriction');
  if (scope === 'Private' && optional(c, 'addresses') === undefined) throw capInvalid('scope Private needs <addresses>', 'alert/addresses');
  const refs = texts(c, 'references', false)[0];
  if (needsReferences.has(msgType) && !refs) throw capInvalid(`msgType ${msgType} needs <references> to the earlier message(s)`, 'alert/references');
  const infos = (c.get('info') ?? []).map(info);
  if (needsInfo.has(msgType) && infos.length === 0) throw capInvalid(`msgType ${msgType} needs at least one <info> (category, event, urgency, severity, certainty)`, 'alert/info');
  const sent = one(c, 'sent');
  capTimeMs(sent, 'alert/sent');
  return {
    identifier: token(c, 'identifier'),
    sender: token(c, 'sender'),
    sent,
    status: oneValue(c, 'status'),
    msgType,
    ...opt('source'),
    scope,
    ...opt('restriction'), ...opt('addresses'),
    code: texts(c, 'code', false).map((x) => x.text),
    ...opt('note'),
    references: refs ? parseReferences(refs.text, refs.path) : [],
    ...opt('incidents'),
    info: infos,
  };
}
