/**
 * Everything the benchmark starts is registered here as it starts: graceful steps (async, run
 * in reverse order at the end or on Ctrl-C) and last-resort steps (sync, also run from the
 * process 'exit' handler, so a crash still kills children and removes temp dirs).
 */
export class Cleanup {
  private readonly graceful: Array<{ name: string; run: () => Promise<void> }> = [];
  private readonly lastResort: Array<{ name: string; run: () => void }> = [];
  private running: Promise<void> | undefined;

  /** A sync step that must happen even on a crash (kill a process, remove a dir). */
  onExit(name: string, run: () => void): void {
    this.lastResort.push({ name, run });
  }

  /** An async step for an orderly end (close a child, stop a server). */
  defer(name: string, run: () => Promise<void>): void {
    this.graceful.push({ name, run });
  }

  /** Runs the graceful steps (newest first, each bounded), then the last-resort ones. */
  runAll(log: (msg: string) => void = () => undefined): Promise<void> {
    this.running ??= (async () => {
      for (const step of this.graceful.reverse()) {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            log(`cleanup: ${step.name} took over 20 s; moving on`);
            resolve();
          }, 20_000);
        });
        await Promise.race([step.run().catch((e: Error) => log(`cleanup: ${step.name}: ${e.message}`)), timeout]);
        clearTimeout(timer);
      }
      this.graceful.length = 0;
      this.runLastResort(log);
    })();
    return this.running;
  }

  private runLastResort(log: (msg: string) => void): void {
    for (const step of this.lastResort.reverse()) {
      try {
        step.run();
      } catch (e) {
        log(`cleanup: ${step.name}: ${(e as Error).message}`);
      }
    }
    this.lastResort.length = 0;
  }

  /** Ctrl-C / SIGTERM run everything, then exit 130; a plain exit still runs the sync steps. */
  installSignalHandlers(log: (msg: string) => void): void {
    let interrupted = false;
    const onSignal = (sig: string): void => {
      if (interrupted) return;
      interrupted = true;
      log(`\n${sig}: stopping everything the benchmark started...`);
      void this.runAll(log).finally(() => process.exit(130));
    };
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
    process.on('exit', () => this.runLastResort(log));
  }
}
