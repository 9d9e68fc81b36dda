/**
 * The simulated town's people on duty, so 叫应 has someone to call in the demo: one shift over
 * the whole town for a week (two duty officers, a leader on duty, the head), and call plans that
 * call over the event stream (`sse`), since a demo has no phone or SMS gateway configured.
 * Through the gateway's own API, like everything else the simulator provisions.
 */
/** The disposal unit the simulated district dispatches cases to. */
export const demoUnit = { id: 'sim-drainage', name: '模拟排水所', tier: 1 } as const;

const categories = ['default', 'rainstorm', 'gale', 'flash_flood', 'geological', 'fire', 'gas', 'structure', 'equipment', 'other'];

export async function seedDemoDuty(opts: { httpUrl: string; adminToken: string; nowMs: number }): Promise<void> {
  const call = async (method: string, path: string, body: unknown) => {
    const res = await fetch(`${opts.httpUrl}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${opts.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  };
  const person = (id: string, name: string, phone: string) => ({ id, name, phone });
  // A restarted demo keeps its roster: only add the shift when nobody is on duty in the next hour.
  const at = (ms: number) => new Date(ms).toISOString();
  const current = await fetch(`${opts.httpUrl}/api/v1/duty/shifts?from=${at(opts.nowMs)}&to=${at(opts.nowMs + 3_600_000)}`, { headers: { authorization: `Bearer ${opts.adminToken}` } });
  const { shifts } = (await current.json()) as { shifts?: unknown[] };
  if (shifts !== undefined && shifts.length > 0) return;
  await call('POST', '/duty/shifts', {
    startsAt: new Date(opts.nowMs - 60_000).toISOString(),
    endsAt: new Date(opts.nowMs + 7 * 86_400_000).toISOString(),
    blocks: [],
    kinds: [],
    people: {
      duty_officer: [person('sim-officer-1', '模拟值班员甲', '13800000001'), person('sim-officer-2', '模拟值班员乙', '13800000002')],
      leader_on_duty: [person('sim-leader', '模拟带班领导', '13800000003')],
      head: [person('sim-head', '模拟主要负责人', '13800000004')],
    },
    note: 'simulated town (demo)',
  });
  // The unit the simulated district dispatches to (tier 1: drainage answers round the clock).
  await call('POST', '/duty/units', { id: demoUnit.id, name: demoUnit.name, tier: demoUnit.tier, contacts: [], blocks: [], kinds: [] });
  const steps = ['duty_officer', 'leader_on_duty', 'head'].map((role) => ({ role, channels: ['sse'] }));
  for (const category of categories) await call('PUT', `/duty/call-plans/${category}`, { description: 'Demo: calls go out on the event stream (no phone gateway configured).', steps });
}
