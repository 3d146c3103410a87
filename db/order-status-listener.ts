import pg from 'pg';

/** A request waiting for one order's next status change. */
export interface StatusWatch {
  /** Settles once the listener listens (or could not: then `changed` settles soon, as a poll). */
  ready: Promise<void>;
  /** True when the order's status changed or the connection was lost (read again); never rejects. */
  changed: Promise<boolean>;
  cancel(): void;
}

export interface OrderStatusListener {
  watch(orderId: string): StatusWatch;
  close(): Promise<void>;
}

/** Without a listening connection a watch still wakes this often, so waiting degrades to polling. */
const FALLBACK_POLL_MS = 1_000;
const CHANNEL = 'order_status';

/**
 * One LISTEN connection per API process on the channel the orders table announces status
 * changes on (migration 0012). Requests watching an order are woken when its id arrives; a lost
 * connection wakes everyone (they read again) and the next watch reconnects.
 */
export function createOrderStatusListener(
  databaseUrl: string,
  onError: (error: unknown) => void = () => undefined,
): OrderStatusListener {
  const watchers = new Map<string, Set<(changed: boolean) => void>>();
  let client: pg.Client | null = null;
  let connecting: Promise<pg.Client | null> | null = null;
  let closed = false;

  const wakeAll = () => {
    for (const wakers of watchers.values()) for (const wake of wakers) wake(true);
  };

  function connect(): Promise<pg.Client | null> {
    if (client) return Promise.resolve(client);
    if (connecting) return connecting;
    const next = new pg.Client({ connectionString: databaseUrl });
    next.on('notification', (message) => {
      if (message.channel !== CHANNEL || !message.payload) return;
      for (const wake of watchers.get(message.payload) ?? []) wake(true);
    });
    const lost = (error?: unknown) => {
      if (error) onError(error);
      if (client === next) client = null;
      wakeAll();
    };
    next.on('error', lost);
    next.on('end', () => lost());
    connecting = next
      .connect()
      .then(() => next.query(`LISTEN ${CHANNEL}`))
      .then(() => {
        if (closed) {
          void next.end();
          return null;
        }
        client = next;
        return next;
      })
      .catch((error: unknown) => {
        onError(error);
        void next.end().catch(() => undefined);
        return null;
      })
      .finally(() => {
        connecting = null;
      });
    return connecting;
  }

  return {
    watch(orderId) {
      let wake: (changed: boolean) => void = () => undefined;
      const changed = new Promise<boolean>((resolve) => {
        wake = resolve;
      });
      const wakers = watchers.get(orderId) ?? new Set();
      watchers.set(orderId, wakers);
      wakers.add(wake);
      let fallback: NodeJS.Timeout | undefined;
      const ready = connect().then((listening) => {
        if (!listening) fallback = setTimeout(() => wake(false), FALLBACK_POLL_MS);
      });
      return {
        ready,
        changed,
        cancel() {
          clearTimeout(fallback);
          wakers.delete(wake);
          if (wakers.size === 0) watchers.delete(orderId);
          wake(false);
        },
      };
    },
    async close() {
      closed = true;
      wakeAll();
      const current = client ?? (await connecting);
      client = null;
      await current?.end().catch(() => undefined);
    },
  };
}
