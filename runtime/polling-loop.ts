export interface PollingLoop {
  /** Stops polling; resolves when a round in progress has finished. */
  stop(): Promise<void>;
}

/**
 * Runs `round` every `intervalMs` until stopped — at once again when a round says it was full,
 * with a growing pause (up to 30 s) while rounds throw (database trouble). Its timer never keeps
 * the process alive. Used by the email outbox and the sandbox provider's webhook deliveries.
 */
export function startPollingLoop(options: {
  intervalMs: number;
  /** One round of work; resolves true when there may be more due right away. */
  round: () => Promise<boolean>;
  onError: (error: unknown) => void;
}): PollingLoop {
  const { intervalMs } = options;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let consecutiveErrors = 0;

  const schedule = (delayMs: number) => {
    if (stopped) return;
    timer = setTimeout(runRound, delayMs);
    timer.unref();
  };

  function runRound(): void {
    timer = null;
    running = (async () => {
      let delay = intervalMs;
      try {
        if (await options.round()) delay = 0;
        consecutiveErrors = 0;
      } catch (error) {
        consecutiveErrors += 1;
        delay = Math.min(intervalMs * 2 ** Math.min(consecutiveErrors, 10), Math.max(intervalMs, 30_000));
        options.onError(error);
      } finally {
        running = null;
        schedule(delay);
      }
    })();
  }

  schedule(0);
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      if (running) await running;
    },
  };
}
