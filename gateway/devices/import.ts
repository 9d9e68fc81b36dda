import { parse as parseCsv } from 'csv-parse/sync';
import { Value } from 'typebox/value';
import type { ErrorDetail } from '../core/errors.js';
import { schemaErrors } from '../core/schema.js';
import { DeviceInput } from './schema.js';

/**
 * Bulk import of devices from CSV or JSON. Every row is checked, and every bad row is
 * reported by line and field; the caller imports nothing from a file with errors unless asked
 * to skip the bad rows.
 *
 * CSV: a header row naming columns (order free): id, name, kind, adapter, lon, lat, crs,
 * address, blockCode, ownerUnit, vendor, tags (separated by `;`), platform, externalId,
 * heartbeatMs. JSON: an array of DeviceInput objects (the POST /devices body).
 */
export interface ImportRow {
  /** 1-based line in the CSV (the header is line 1), or 1-based index in a JSON array. */
  line: number;
  input: DeviceInput;
}

export interface ImportRowError {
  line: number;
  field: string;
  message: string;
}

export interface ParsedImport {
  rows: ImportRow[];
  errors: ImportRowError[];
}

export const csvColumns = ['id', 'name', 'kind', 'adapter', 'lon', 'lat', 'crs', 'address', 'blockCode', 'ownerUnit', 'vendor', 'tags', 'platform', 'externalId', 'heartbeatMs'] as const;
const required = ['id', 'name', 'kind', 'adapter', 'lon', 'lat', 'blockCode'];

export function parseImport(text: string, format: 'csv' | 'json'): ParsedImport {
  return format === 'csv' ? parseCsvImport(text) : parseJsonImport(text);
}

function parseJsonImport(text: string): ParsedImport {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { rows: [], errors: [{ line: 0, field: '/', message: `not valid JSON: ${(e as Error).message}` }] };
  }
  const items = Array.isArray(doc) ? doc : (doc as { devices?: unknown })?.devices;
  if (!Array.isArray(items)) return { rows: [], errors: [{ line: 0, field: '/', message: 'expected an array of devices (or { "devices": [...] })' }] };
  return checkRows(items.map((item, i) => ({ line: i + 1, value: item })));
}

function parseCsvImport(text: string): ParsedImport {
  let records: Array<{ record: Record<string, string>; info: { lines: number } }>;
  try {
    records = parseCsv(text, { columns: true, info: true, skip_empty_lines: true, trim: true, bom: true, relax_column_count: false }) as typeof records;
  } catch (e) {
    const err = e as Error & { lines?: number };
    return { rows: [], errors: [{ line: err.lines ?? 0, field: '/', message: `CSV cannot be read: ${err.message}` }] };
  }
  const header = Object.keys(records[0]?.record ?? {});
  const errors: ImportRowError[] = [];
  const unknown = header.filter((h) => !(csvColumns as readonly string[]).includes(h));
  if (unknown.length) errors.push({ line: 1, field: unknown[0] as string, message: `unknown column(s) ${unknown.join(', ')}; known: ${csvColumns.join(', ')}` });
  const missing = required.filter((c) => records.length > 0 && !header.includes(c));
  if (missing.length) errors.push({ line: 1, field: missing[0] as string, message: `missing column(s) ${missing.join(', ')}` });
  if (errors.length) return { rows: [], errors };
  const checked = checkRows(records.map(({ record, info }) => ({ line: info.lines, value: csvRecordToInput(record) })));
  return checked;
}

function csvRecordToInput(r: Record<string, string>): unknown {
  const opt = (k: string) => (r[k] === undefined || r[k] === '' ? undefined : r[k]);
  const num = (k: string) => {
    const v = opt(k);
    return v === undefined ? undefined : /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v; // a non-number stays a string so the schema names it
  };
  const input: Record<string, unknown> = {
    id: opt('id'),
    name: opt('name'),
    kind: opt('kind'),
    adapter: opt('adapter'),
    location: { lon: num('lon'), lat: num('lat'), crs: opt('crs') ?? 'wgs84', address: opt('address') },
    blockCode: opt('blockCode'),
    ownerUnit: opt('ownerUnit'),
    vendor: opt('vendor'),
    tags: (opt('tags') ?? '').split(';').map((s) => s.trim()).filter(Boolean),
    platform: opt('platform'),
    externalId: opt('externalId'),
    heartbeatMs: num('heartbeatMs'),
  };
  return JSON.parse(JSON.stringify(input)); // drops undefined keys
}

/** Schema check per row, plus duplicate ids inside the file. */
function checkRows(items: Array<{ line: number; value: unknown }>): ParsedImport {
  const rows: ImportRow[] = [];
  const errors: ImportRowError[] = [];
  const seen = new Map<string, number>();
  for (const { line, value } of items) {
    const candidate = Value.Default(DeviceInput, Value.Clone(value));
    if (!Value.Check(DeviceInput, candidate)) {
      for (const d of schemaErrors(DeviceInput, candidate)) errors.push({ line, field: csvField(d), message: d.message });
      continue;
    }
    const input = candidate as DeviceInput;
    const first = seen.get(input.id);
    if (first !== undefined) {
      errors.push({ line, field: 'id', message: `duplicate id "${input.id}" (also on line ${first})` });
      continue;
    }
    seen.set(input.id, line);
    rows.push({ line, input });
  }
  return { rows, errors };
}

/** `/location/lon` → `lon`, `/tags/2` → `tags`: the column a person sees in the CSV. */
export function csvField(d: ErrorDetail): string {
  const path = (d.field ?? '/').split('/').filter(Boolean);
  if (path[0] === 'location' && path[1]) return path[1];
  return path[0] ?? '/';
}
