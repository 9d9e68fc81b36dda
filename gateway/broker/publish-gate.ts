/**
 * Runs the durable gate for each publish of a connection, concurrently, and hands the results
 * back in arrival order.
 *
 * Where the gate must sit (aedes 1.2.0; line numbers of that release):
 * - lib/handlers/publish.js:18 runs `[authorizePublish, enqueuePublish]` in series; for QoS 1
 *   `enqueuePublish` (:92-96) writes the PUBACK first and only then calls `broker.publish`, so the
 *   `published` hook (and the 'publish' event) come after the acknowledgement and cannot delay
 *   it. For QoS 2 the PUBREC likewise follows `broker.publish`, still after `authorizePublish`.
 * - So the gate runs inside `authorizePublish`: the callback fires only when the message is
 *   durable. An error passed to that callback reaches `handle`'s `done` → lib/client.js:66
 *   `nextBatch(err)` → the client's 'error' → `_onError` (:172): the socket is destroyed and no
 *   acknowledgement is written (the device keeps the message and sends it again; [MQTT-3.3.5-2]
 *   allows closing instead of acknowledging). broker-gate.test.ts checks both outcomes.
 * - lib/client.js:480 `enqueue` hands every packet parsed from one socket read to `handle` at
 *   once and reads again only when all have called back (`_parsingBatch`/`nextBatch`), so pipelined
 *   publishes are gated concurrently: good for group commit. But they may finish out of order,
 *   and [MQTT-4.6.0-2] wants PUBACKs in the order the PUBLISHes arrived: callbacks are released
 *   in order here, and aedes writes each PUBACK synchronously from its callback.
 */
export class OrderedGate<K extends object> {
  private readonly tails = new WeakMap<K, Promise<Error | null>>();

  /** Starts `work` now; calls `done` once it and every earlier run for `key` have settled. */
  run(key: K, work: () => Promise<void>, done: (err: Error | null) => void): void {
    const settled = new Promise<void>((resolve) => resolve(work())).then(() => null, toError);
    const prev = this.tails.get(key);
    const turn = prev ? prev.then(() => settled) : settled;
    this.tails.set(key, turn);
    void turn.then((err) => {
      if (this.tails.get(key) === turn) this.tails.delete(key);
      // Out of the promise chain: a throw in aedes must not become an unhandled rejection.
      process.nextTick(done, err);
    });
  }
}

function toError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
