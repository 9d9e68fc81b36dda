/**
 * Provisions the simulated town through the gateway's own HTTP API, as an operator would: a
 * bulk import of exercise devices, each answered with its MQTT credentials. Safe to run again:
 * a device that already exists gets its password rotated (the old one is unknown to us) and,
 * if the plan changed, its record patched.
 */
import { pino } from 'pino';
import type { DeviceKind } from '../../adapters/types.js';
import type { Logger } from '../../gateway/core/log.js';
import type { DeviceInput } from '../../gateway/devices/schema.js';
import { apiClient, GatewayApiError, withRetry, type ApiClient } from './api.js';
import { planTown, type TownPlanOptions } from './town-plan.js';

export interface ProvisionedDevice {
  id: string;
  kind: DeviceKind;
  adapter: string;
  password: string;
  /** False when the device existed and only its credentials were rotated. */
  created: boolean;
}

export interface ProvisionOptions extends TownPlanOptions {
  httpUrl: string;
  /** An admin or ops token (the gateway's bootstrap admin token works). */
  token: string;
  logger?: Logger;
}

interface Credentials {
  username: string;
  password: string;
}
interface DeviceView {
  id: string;
  kind: string;
  adapter: string;
  heartbeatMs: number;
  exercise: boolean;
}
interface ImportAnswer {
  imported: number;
  devices: Array<{ line: number; device: DeviceView; credentials: Credentials }>;
  errors: Array<{ line: number; field: string; message: string }>;
}

/** Devices per import request: well under the body limit, and one transaction each. */
const chunkSize = 250;

export async function provisionTown(opts: ProvisionOptions): Promise<ProvisionedDevice[]> {
  const logger = opts.logger ?? pino({ level: 'silent' });
  const api = apiClient({ baseUrl: opts.httpUrl, token: opts.token });
  const plan = planTown(opts);
  const passwords = new Map<string, { password: string; created: boolean }>();
  const existing: DeviceInput[] = [];
  const problems: string[] = [];
  const retryLog = (e: GatewayApiError, attempt: number) => logger.warn({ err: e.message, attempt }, 'gateway busy while provisioning; retrying');

  for (let at = 0; at < plan.length; at += chunkSize) {
    const chunk = plan.slice(at, at + chunkSize);
    // Safe to repeat: rows a lost answer did import come back as "already exists" and are adopted.
    const answer = await withRetry(() => api.request<ImportAnswer>('POST', '/devices/import?skipInvalid=true', chunk), retryLog);
    for (const d of answer.devices) passwords.set(d.device.id, { password: d.credentials.password, created: true });
    for (const e of answer.errors) {
      const input = chunk[e.line - 1];
      if (input && e.field === 'id' && /already exists/.test(e.message)) existing.push(input);
      else problems.push(`${input?.id ?? `row ${e.line}`}: ${e.field}: ${e.message}`);
    }
  }
  if (problems.length > 0) {
    throw new GatewayApiError(`the gateway refused ${problems.length} simulated device(s); first: ${problems[0]}`, 422, 'GW_ERR_IMPORT_ROWS');
  }

  await mapLimit(existing, 4, async (input) => {
    passwords.set(input.id, { password: await withRetry(() => adopt(api, input), retryLog), created: false });
  });
  const created = plan.length - existing.length;
  logger.info({ devices: plan.length, created, rotated: existing.length }, 'simulated town provisioned');

  return plan.map((d) => {
    const p = passwords.get(d.id);
    if (!p) throw new GatewayApiError(`the gateway answered no credentials for ${d.id}`, null, 'BAD_RESPONSE');
    return { id: d.id, kind: d.kind, adapter: d.adapter, password: p.password, created: p.created };
  });
}

/** A device from an earlier run: new credentials, and the record brought in line with the plan. */
async function adopt(api: ApiClient, input: DeviceInput): Promise<string> {
  const path = `/devices/${encodeURIComponent(input.id)}`;
  const current = await api.request<DeviceView>('GET', path);
  // Never take over a real device that happens to carry a simulator id.
  if (!current.exercise) {
    throw new GatewayApiError(`device ${input.id} exists and is not an exercise device: the simulator will not take it over (remove it, or use another --prefix)`, 409, 'GW_ERR_CONFLICT');
  }
  const rotated = await api.request<{ device: DeviceView; credentials: Credentials }>('POST', `${path}/credentials`);
  if (current.kind !== input.kind || current.adapter !== input.adapter || current.heartbeatMs !== input.heartbeatMs) {
    const { id: _id, ...patch } = input;
    await api.request('PATCH', path, patch);
  }
  return rotated.credentials.password;
}

/** Runs fn over items, `limit` at a time; on a failure starts no new item, lets the running ones finish, then throws it. */
async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      try {
        await fn(items[next++] as T);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}
