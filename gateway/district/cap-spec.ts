/**
 * The structure of an OASIS CAP 1.2 message (CAP-v1.2-os §3.2, the XML schema in §3.4), as
 * data: the element sequences in schema order with their cardinality, and the value lists.
 * The builder (cap.ts) and its tests check our output against it; the external-warnings
 * parser validates incoming alerts with it.
 */

export const CAP_NAMESPACE = 'urn:oasis:names:tc:emergency:cap:1.2';

/** A child element: name, minOccurs, maxOccurs (`n`: unbounded), and its own sequence when it is a container. */
export interface CapElement {
  name: string;
  min: 0 | 1;
  max: 1 | 'n';
  group?: CapGroup;
}
export type CapGroup = 'alert' | 'info' | 'resource' | 'area' | 'pair';

const el = (name: string, min: 0 | 1, max: 1 | 'n', group?: CapGroup): CapElement => (group ? { name, min, max, group } : { name, min, max });

export const capStructure: Record<CapGroup, readonly CapElement[]> = {
  alert: [
    el('identifier', 1, 1), el('sender', 1, 1), el('sent', 1, 1), el('status', 1, 1), el('msgType', 1, 1), el('source', 0, 1), el('scope', 1, 1),
    el('restriction', 0, 1), el('addresses', 0, 1), el('code', 0, 'n'), el('note', 0, 1), el('references', 0, 1), el('incidents', 0, 1), el('info', 0, 'n', 'info'),
  ],
  info: [
    el('language', 0, 1), el('category', 1, 'n'), el('event', 1, 1), el('responseType', 0, 'n'), el('urgency', 1, 1), el('severity', 1, 1), el('certainty', 1, 1),
    el('audience', 0, 1), el('eventCode', 0, 'n', 'pair'), el('effective', 0, 1), el('onset', 0, 1), el('expires', 0, 1), el('senderName', 0, 1),
    el('headline', 0, 1), el('description', 0, 1), el('instruction', 0, 1), el('web', 0, 1), el('contact', 0, 1), el('parameter', 0, 'n', 'pair'),
    el('resource', 0, 'n', 'resource'), el('area', 0, 'n', 'area'),
  ],
  resource: [el('resourceDesc', 1, 1), el('mimeType', 1, 1), el('size', 0, 1), el('uri', 0, 1), el('derefUri', 0, 1), el('digest', 0, 1)],
  area: [el('areaDesc', 1, 1), el('polygon', 0, 'n'), el('circle', 0, 'n'), el('geocode', 0, 'n', 'pair'), el('altitude', 0, 1), el('ceiling', 0, 1)],
  // eventCode, parameter and geocode: a valueName and a value.
  pair: [el('valueName', 1, 1), el('value', 1, 1)],
};

/** Child names of a group in schema order, and the required ones. */
export const capOrder = (g: CapGroup): string[] => capStructure[g].map((e) => e.name);
export const capRequired = (g: CapGroup): string[] => capStructure[g].filter((e) => e.min === 1).map((e) => e.name);

/** CAP 1.2 §3.2.1 / §3.2.2 value lists. */
export const capValues = {
  status: ['Actual', 'Exercise', 'System', 'Test', 'Draft'],
  msgType: ['Alert', 'Update', 'Cancel', 'Ack', 'Error'],
  scope: ['Public', 'Restricted', 'Private'],
  category: ['Geo', 'Met', 'Safety', 'Security', 'Rescue', 'Fire', 'Health', 'Env', 'Transport', 'Infra', 'CBRNE', 'Other'],
  responseType: ['Shelter', 'Evacuate', 'Prepare', 'Execute', 'Avoid', 'Monitor', 'Assess', 'AllClear', 'None'],
  urgency: ['Immediate', 'Expected', 'Future', 'Past', 'Unknown'],
  severity: ['Extreme', 'Severe', 'Moderate', 'Minor', 'Unknown'],
  certainty: ['Observed', 'Likely', 'Possible', 'Unlikely', 'Unknown'],
} as const;
export type CapValueList = keyof typeof capValues;
export type CapStatus = (typeof capValues.status)[number];
export type CapMessageType = (typeof capValues.msgType)[number];
export type CapSeverity = (typeof capValues.severity)[number];

/** CAP 1.2 §3.2.1: identifier and sender must not include spaces, commas or restricted characters (< and &). */
export const capToken = /^[^\s,<&]+$/;

/** CAP 1.2 §3.3.2 dateTime: a numeric offset, no fractions, never `Z` (the schema's pattern). */
export const capDateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[-+]\d{2}:\d{2}$/;
