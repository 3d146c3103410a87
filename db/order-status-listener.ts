import pg from 'pg';

/** A request waiting for one order's status changes. */
export interface StatusWatch {
  /** Settles once the listener listens (or could not: then `next` settles soon, as a poll). */
  ready: Promise<void>;
  /**
   * The next change since the last call: the order's new status as announced, or null when it must be read (an
   * announcement without it, a lost connection, no listening connection). Of changes announced together, the
   * last wins: announcements arrive in commit order. Never rejects.
   */
  next(): Promise<string | null>;
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
 * changes on: the order's id and its new status (migrations 0012 and 0027; an announcement of
 * the id alone, from before 0027, asks its watchers to read). Requests watching an order are
 * woken when its id arrives; a lost connection wakes everyone (they read again) and the next
 * watch reconnects.
 */
export function createOrderStatusListener(
  databaseUrl: string,
  onError: (error: unknown) => void = () => undefined,
): OrderStatusListener {
  const watchers = new Map<string, Set<(status: string | null) => void>>();
  let client: pg.Client | null = null;
  let connecting: Promise<pg.Client | null> | null = null;
  let closed = false;

  const wakeAll = () => {
    for (const wakers of watchers.values()) for (const wake of wakers) wake(null);
  };

  function connect(): Promise<pg.Client | null> {
    if (client) return Promise.resolve(client);
    if (connecting) return connecting;
    const next = new pg.Client({ connectionString: databaseUrl });
    next.on('notification', (message) => {
      if (message.channel !== CHANNEL || !message.payload) return;
      const [orderId, status] = message.payload.split(' ', 2);
      for (const wake of watchers.get(orderId!) ?? []) wake(status || null);
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
      let announced: string | null | undefined;
      let waiting: ((status: string | null) => void) | null = null;
      let listening = false;
      let fallback: NodeJS.Timeout | undefined;
      const wake = (status: string | null) => {
        clearTimeout(fallback);
        if (!waiting) {
          announced = status;
          return;
        }
        const resolve = waiting;
        waiting = null;
        resolve(status);
      };
      const wakers = watchers.get(orderId) ?? new Set();
      watchers.set(orderId, wakers);
      wakers.add(wake);
      const ready = connect().then((connected) => {
        listening = connected !== null;
      });
      return {
        ready,
        next() {
          if (announced !== undefined) {
            const status = announced;
            announced = undefined;
            return Promise.resolve(status);
          }
          return new Promise<string | null>((resolve) => {
            waiting = resolve;
            if (!listening) fallback = setTimeout(() => wake(null), FALLBACK_POLL_MS);
          });
        },
        cancel() {
          wakers.delete(wake);
          if (wakers.size === 0) watchers.delete(orderId);
          wake(null);
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
