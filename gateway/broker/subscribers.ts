import type { Role } from '../auth/roles.js';

/**
 * What an API-key holder may read over MQTT (username `apikey`, the key as password). Nobody
 * but devices publishes, and devices only on their own topics (acl.ts).
 */
export function subscriberTopics(role: Role): string[] {
  switch (role) {
    case 'admin':
    case 'ops':
      return ['cityops/v1/warnings/#', 'cityops/v1/cases/#', 'cityops/v1/notifications/#', 'cityops/v1/devices/+/status'];
    case 'district':
      return ['cityops/v1/warnings/#', 'cityops/v1/cases/#'];
    case 'viewer':
      return ['cityops/v1/warnings/#'];
    default:
      return [];
  }
}
