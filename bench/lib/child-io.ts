/**
 * The child side of the IPC channel: one command at a time, one reply each; a thrown error
 * becomes an `error` reply. When the parent goes away (the channel closes) the child cleans
 * up and exits, so nothing outlives an interrupted benchmark.
 */
export function serveCommands<C, R>(handle: (cmd: C) => Promise<R>, cleanup: () => Promise<void>): void {
  if (!process.send) throw new Error('this module runs as a forked child of bench/ingest.ts');
  let chain = Promise.resolve();
  process.on('message', (cmd: C) => {
    chain = chain.then(async () => {
      let reply: R | { type: 'error'; message: string };
      try {
        reply = await handle(cmd);
      } catch (e) {
        reply = { type: 'error', message: e instanceof Error ? e.message : String(e) };
      }
      process.send?.(reply);
    });
  });
  const bye = (): void => {
    const hard = setTimeout(() => process.exit(1), 10_000);
    hard.unref();
    void cleanup()
      .catch((e: Error) => process.stderr.write(`cleanup failed: ${e.message}\n`))
      .finally(() => process.exit(0));
  };
  process.once('disconnect', bye);
  process.once('SIGTERM', bye);
  process.once('SIGINT', bye);
}

/** Sends one message the parent did not ask for (a child's `ready`). */
export function announce<R>(msg: R): void {
  process.send?.(msg);
}
