import { getPlatformAdapter, getSensorAdapter } from '../../adapters/index.js';
import type { AdapterLookup } from '../devices/normalize.js';

/** The device registry's view of the adapter registry. */
export const adapterLookup: AdapterLookup = {
  sensor: (id) => getSensorAdapter(id),
  platformExists: (id) => getPlatformAdapter(id) !== undefined,
};
