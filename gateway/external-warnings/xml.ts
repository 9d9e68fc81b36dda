import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { GatewayError, type ErrorDetail } from '../core/errors.js';

/**
 * Reading untrusted XML for CAP alerts: decode the bytes, refuse DTDs and entities (no XXE, no
 * entity expansion), check well-formedness, bound size, depth and element count, and give back
 * a small namespace-resolved element tree. fast-xml-parser expands no entities here (processEntities
 * off); the five predefined ones and character references are decoded in this file.
 */

export interface XmlElement {
  /** Local name (prefix removed). */
  name: string;
  /** Namespace URI in scope for the element's prefix; null when none is declared. */
  ns: string | null;
  /** Concatenated character data and CDATA of the element itself, not trimmed. */
  text: string;
  children: XmlElement[];
}

export const maxAlertBytes = 1024 * 1024;
const maxElements = 5000;
const maxDepth = 16;

export function capInvalid(message: string, field?: string): GatewayError {
  const details: ErrorDetail[] = [{ ...(field !== undefined ? { field } : {}), message }];
  return new GatewayError('GW_ERR_CAP_INVALID', `CAP: ${field !== undefined ? `${field}: ` : ''}${message}`, details);
}

// GB2312 and GBK are subsets of GB 18030, which TextDecoder knows (Node's full ICU).
const charsets: Record<string, string> = { 'utf-8': 'utf-8', utf8: 'utf-8', 'us-ascii': 'utf-8', gb2312: 'gb18030', gbk: 'gb18030', gb18030: 'gb18030' };

/** The charset of the Content-Type, else of the XML declaration, else UTF-8 (RFC 7303 §3.2). */
export function decodeXml(body: Buffer, contentType: string | undefined): string {
  if (body.length > maxAlertBytes) throw new GatewayError('GW_ERR_PAYLOAD_TOO_LARGE', `a CAP alert is at most ${maxAlertBytes} bytes; this one has ${body.length}`);
  const fromHeader = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1];
  const fromDeclaration = /^(?:\u00EF\u00BB\u00BF)?<\?xml[^>]*\bencoding\s*=\s*["']([^"']+)["']/.exec(body.subarray(0, 200).toString('latin1'))?.[1];
  const label = (fromHeader ?? fromDeclaration ?? 'utf-8').toLowerCase();
  const encoding = charsets[label];
  if (!encoding) throw capInvalid(`charset "${label}" is not supported; send UTF-8 (or GB 18030)`, 'encoding');
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(body);
  } catch {
    throw capInvalid(`the body is not valid ${label}`, 'encoding');
  }
}

type Node = Record<string, unknown>;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: false,
  htmlEntities: false,
  trimValues: false,
  cdataPropName: '#cdata',
  ignoreDeclaration: true,
  ignorePiTags: true,
  maxNestedTags: maxDepth,
});

const predefined: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
// XML 1.0 §2.2 Char.
const xmlChar = (cp: number) => cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);

function decodeText(s: string): string {
  return s.replace(/&([^;&\s]*);/g, (_, ref: string) => {
    const named = predefined[ref];
    if (named !== undefined) return named;
    const m = /^#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}))$/.exec(ref);
    const cp = m ? parseInt(m[1] ?? m[2] ?? '', m[1] !== undefined ? 16 : 10) : NaN;
    if (!xmlChar(cp)) throw capInvalid(`&${ref}; is not a predefined entity or a character reference (DTD entities are refused)`, 'xml');
    return String.fromCodePoint(cp);
  });
}

/** Parses a whole document into its root element, or throws GW_ERR_CAP_INVALID saying what is wrong. */
export function parseXml(text: string): XmlElement {
  // No DTD at all: CAP needs none, and a DTD is where XXE and entity bombs live.
  if (/<!DOCTYPE/i.test(text)) throw capInvalid('a DOCTYPE is not allowed (no DTDs or entities in CAP alerts)', 'xml');
  if (/<!ENTITY/i.test(text)) throw capInvalid('entity declarations are not allowed', 'xml');
  if (text.trim() === '') throw capInvalid('the body is empty, not an XML document', 'xml');
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw capInvalid(`not well-formed XML (line ${valid.err.line}, column ${valid.err.col}): ${valid.err.msg}`, 'xml');
  let nodes: Node[];
  try {
    nodes = parser.parse(text) as Node[];
  } catch (e) {
    throw capInvalid(`not well-formed XML: ${(e as Error).message}`, 'xml');
  }
  const roots = nodes.filter((n) => !('#text' in n));
  const root = roots[0];
  if (roots.length !== 1 || !root) throw capInvalid('the document must have exactly one root element', 'xml');
  const count = { n: 0 };
  return toElement(root, new Map(), count);
}

function toElement(node: Node, outer: ReadonlyMap<string, string>, count: { n: number }): XmlElement {
  if (++count.n > maxElements) throw capInvalid(`more than ${maxElements} elements`, 'xml');
  const tag = Object.keys(node).find((k) => k !== ':@') ?? '';
  const attrs = (node[':@'] ?? {}) as Record<string, string>;
  const scope = new Map(outer);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'xmlns') scope.set('', v);
    else if (k.startsWith('xmlns:')) scope.set(k.slice(6), v);
  }
  const colon = tag.indexOf(':');
  const prefix = colon >= 0 ? tag.slice(0, colon) : '';
  const el: XmlElement = { name: colon >= 0 ? tag.slice(colon + 1) : tag, ns: scope.get(prefix) ?? null, text: '', children: [] };
  for (const child of (node[tag] ?? []) as Node[]) {
    if ('#text' in child) el.text += decodeText(String(child['#text']));
    else if ('#cdata' in child) el.text += ((child['#cdata'] ?? []) as Node[]).map((c) => String(c['#text'] ?? '')).join('');
    else el.children.push(toElement(child, scope, count));
  }
  return el;
}
