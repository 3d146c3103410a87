import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './app-env';
import { ApiProblem } from './problem';

/**
 * Bounds how many order creates one API process works on at once. Past the bound a create waits
 * its turn for a short while; one that gets none is refused before anything is written, so an
 * overloaded stack completes what it admitted at its full rate instead of taking orders whose
 * clients it has already told to retry (docs/performance.md, seventh pass).
 */
export interface AdmissionGate {
  /** A release function once admitted (call it exactly when done), or null when refused. */
  enter(): Promise<(() => void) | null>;
  readonly inFlight: number;
  readonly waiting: number;
}

/** Seconds an overloaded process asks a client to wait before retrying. */
export const OVERLOADED_RETRY_AFTER_SECONDS = 2;

export function createAdmissionGate(limit: number, maxWaitMs: number): AdmissionGate {
  let inFlight = 0;
  // First come, first served: a waiter is handed the slot its predecessor frees.
  const waiting: { admit: () => void }[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next.admit();
    else inFlight -= 1;
  };
  const releaseOnce = () => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
    };
  };
  return {
    get inFlight() {
      return inFlight;
    },
    get waiting() {
      return waiting.length;
    },
    enter() {
      if (inFlight < limit) {
        inFlight += 1;
        return Promise.resolve(releaseOnce());
      }
      if (maxWaitMs <= 0) return Promise.resolve(null);
      return new Promise((resolve) => {
        const waiter = {
          admit: () => {
            clearTimeout(timer);
            resolve(releaseOnce());
          },
        };
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(waiter), 1);
          resolve(null);
        }, maxWaitMs);
        waiting.push(waiter);
      });
    },
  };
}

export function overloaded(): ApiProblem {
  return new ApiProblem(
    503,
    'overloaded',
    'Service Unavailable',
    'This API process is working on as many orders as it takes at once and none finished in time for this one. ' +
      'Nothing was written: retry after the Retry-After interval.',
    undefined,
    { 'Retry-After': String(OVERLOADED_RETRY_AFTER_SECONDS) },
  );
}

/**
 * Holds a create to the process's bound (AppDeps.orderAdmission; without one, every create is admitted). The body is
 * received first (the JSON validator reads it from Hono's cache), so a client that sends it slowly holds no slot.
 */
export const admitOrderCreate: MiddlewareHandler<AppEnv> = async (c, next) => {
  const gate = c.get('deps').orderAdmission;
  if (!gate) return next();
  await c.req.text();
  const release = await gate.enter();
  if (!release) throw overloaded();
  try {
    await next();
  } finally {
    release();
  }
};
