/**
 * Receive-time stamps that are unique per device, in microseconds. A reading without its own
 * timestamp is keyed by (device, metric, receive time); two messages from one device in the
 * same millisecond must not collide, or the idempotent insert would drop the second.
 */
export class ReceiveStamper {
  private readonly last = new Map<string, number>();

  stamp(deviceId: string, nowMs: number): number {
    const prev = this.last.get(deviceId) ?? 0;
    const us = Math.max(nowMs * 1000, prev + 1);
    this.last.set(deviceId, us);
    return us;
  }

  forget(deviceId: string): void {
    this.last.delete(deviceId);
  }
}
