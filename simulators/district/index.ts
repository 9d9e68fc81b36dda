import { systemClock } from '../../gateway/core/clock.js';
import { startControl } from './control.js';
import { Endpoint } from './endpoint.js';
import { FeedbackSender } from './feedback.js';
import { deliveryReceiver } from './receiver.js';
import { DeliveryStore } from './store.js';
import type { DistrictSimulator, DistrictSimulatorOptions, EndpointName, SimMode } from './types.js';

export type * from './types.js';
export { SimModeSchema, feedbackActions } from './types.js';

/**
 * A simulated district disposal platform (docs/district-simulator.md): a primary and a backup
 * link (two listeners, one store), a control listener, and feedback on its own schedule.
 */
export async function startDistrictSimulator(opts: DistrictSimulatorOptions): Promise<DistrictSimulator> {
  const clock = opts.clock ?? systemClock;
  const host = opts.host ?? '127.0.0.1';
  const logger = opts.logger?.child({ component: 'district-simulator' });
  const store = new DeliveryStore(clock, (caseId, no) => feedback.caseArrived(caseId, no));
  const feedback = new FeedbackSender({ options: opts.feedback, clock, logger, counters: store.counters.feedback, caseNo: (id) => store.caseNo(id) });
  const handler = deliveryReceiver({
    secret: opts.secret, toleranceMs: opts.toleranceMs ?? 5 * 60_000, maxBodyBytes: opts.maxBodyBytes ?? 1024 * 1024,
    maxPictureBytes: opts.maxPictureBytes ?? 8 * 1024 * 1024, keepBodies: opts.keepBodies ?? true, strict: opts.strict ?? false, clock, store, modeOf: (name) => endpoints[name].mode.type,
  });
  const endpoint = (name: EndpointName, port: number | undefined) => new Endpoint({ name, host, port: port ?? 0, seed: opts.seed ?? 1, handler });
  const endpoints: Record<EndpointName, Endpoint> = { primary: endpoint('primary', opts.ports?.primary), backup: endpoint('backup', opts.ports?.backup) };
  await endpoints.primary.listen();
  try {
    await endpoints.backup.listen();
  } catch (e) {
    await endpoints.primary.stop();
    throw e;
  }

  const setMode = async (which: 'primary' | 'backup' | 'both', mode: SimMode) => {
    const names: EndpointName[] = which === 'both' ? ['primary', 'backup'] : [which];
    for (const name of names) await endpoints[name].setMode(mode);
    logger?.info({ endpoint: which, mode }, 'district simulator mode');
  };

  const sim: DistrictSimulator = {
    primaryUrl: endpoints.primary.url,
    backupUrl: endpoints.backup.url,
    controlUrl: '',
    setMode,
    modes: () => ({ primary: endpoints.primary.mode, backup: endpoints.backup.mode }),
    stats: () => store.stats(),
    deliveries: (filter) => store.deliveries(filter),
    feedback: (filter) => feedback.list(filter),
    sendFeedback: (caseId, action, extra) => feedback.send(caseId, action, extra),
    setFeedback: (options) => feedback.configure(options),
    waitFor: (predicate, timeoutMs = 10_000) => new Promise<void>((resolve, reject) => {
      const until = Date.now() + timeoutMs;
      const poll = () => {
        let met: boolean;
        try {
          met = predicate(sim);
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
          return;
        }
        if (met) resolve();
        else if (Date.now() > until) reject(new Error(`district simulator: condition not met within ${timeoutMs} ms (stats ${JSON.stringify(store.stats())})`));
        else setTimeout(poll, 5);
      };
      poll();
    }),
    reset: async () => {
      feedback.reset();
      store.reset();
      await setMode('both', { type: 'up' });
    },
    close: async () => {
      feedback.reset();
      await Promise.all([endpoints.primary.stop(), endpoints.backup.stop(), control.close()]);
    },
  };
  const control = await startControl(sim, host, opts.ports?.control ?? 0).catch(async (e: unknown) => {
    await Promise.all([endpoints.primary.stop(), endpoints.backup.stop()]);
    throw e;
  });
  sim.controlUrl = control.url;
  return sim;
}
