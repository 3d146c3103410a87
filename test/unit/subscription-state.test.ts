import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  maySubscription,
  nextSubscriptionStatus,
  SUBSCRIPTION_STATUSES,
  type SubscriptionEvent,
  type SubscriptionRequest,
  type SubscriptionState,
  type SubscriptionStatus,
} from '../../domain/subscription-state';

const EVENTS: SubscriptionEvent[] = [
  'renewal_paid',
  'charge_failed',
  'dunning_exhausted',
  'paused',
  'resumed',
  'cancelled',
];

// The table as docs/subscriptions.md describes it, written out here so that a changed edge in the
// domain fails this test instead of silently redefining it.
const EXPECTED: Record<SubscriptionStatus, Partial<Record<SubscriptionEvent, SubscriptionStatus>>> = {
  active: { renewal_paid: 'active', charge_failed: 'past_due', paused: 'paused', cancelled: 'cancelled' },
  past_due: { renewal_paid: 'active', dunning_exhausted: 'suspended', cancelled: 'cancelled' },
  suspended: { renewal_paid: 'active', cancelled: 'cancelled' },
  paused: { resumed: 'active', cancelled: 'cancelled' },
  cancelled: {},
};

const legal = SUBSCRIPTION_STATUSES.flatMap((status) =>
  EVENTS.filter((event) => EXPECTED[status][event]).map((event) => [status, event, EXPECTED[status][event]] as const),
);
const illegal = SUBSCRIPTION_STATUSES.flatMap((status) =>
  EVENTS.filter((event) => !EXPECTED[status][event]).map((event) => [status, event] as const),
);

describe('nextSubscriptionStatus', () => {
  it('knows exactly the statuses of the table', () => {
    expect([...SUBSCRIPTION_STATUSES].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(legal)('%s --%s--> %s', (status, event, to) => {
    expect(nextSubscriptionStatus(status, event)).toBe(to);
  });

  it.each(illegal)('a %s subscription cannot take %s', (status, event) => {
    expect(() => nextSubscriptionStatus(status, event)).toThrow(`A ${status} subscription cannot take ${event}`);
  });

  it('is the table docs/subscriptions.md shows ("States")', () => {
    const doc = readFileSync(path.resolve(import.meta.dirname, '../../docs/subscriptions.md'), 'utf8');
    const section = doc.slice(doc.indexOf('- **States**'), doc.indexOf('- **Search attributes**'));
    const documented = [...section.matchAll(/^\s*\| `(\w+)`\s*\|(.*)\|\s*$/gm)].flatMap(([, from, cell]) =>
      [...cell!.matchAll(/`(\w+)` → `(\w+)`/g)].map(([, event, to]) => `${from} -${event}-> ${to}`),
    );
    expect(new Set(documented)).toEqual(new Set(legal.map(([from, event, to]) => `${from} -${event}-> ${to}`)));
    expect(documented).toHaveLength(legal.length);
  });

  it('covers every pair of status and event exactly once', () => {
    expect(legal.length + illegal.length).toBe(SUBSCRIPTION_STATUSES.length * EVENTS.length);
    expect(legal).toHaveLength(11);
  });
});

const state = (status: SubscriptionStatus, extra: Partial<SubscriptionState> = {}): SubscriptionState => ({
  status,
  cancelAtPeriodEnd: false,
  renewing: false,
  ...extra,
});

const REQUESTS: SubscriptionRequest[] = [
  { kind: 'cancel', at: 'period_end' },
  { kind: 'cancel', at: 'now' },
  { kind: 'pause' },
  { kind: 'resume' },
  { kind: 'change_period' },
];

const allStates = SUBSCRIPTION_STATUSES.flatMap((status) =>
  [false, true].flatMap((cancelAtPeriodEnd) =>
    [false, true].map((renewing) => state(status, { cancelAtPeriodEnd, renewing })),
  ),
);

const codeOf = (s: SubscriptionState, r: SubscriptionRequest) => maySubscription(s, r)?.code ?? null;

describe('maySubscription', () => {
  it.each(REQUESTS)('refuses everything on a cancelled subscription: %o', (request) => {
    for (const extra of [{}, { renewing: true }, { cancelAtPeriodEnd: true }]) {
      const refusal = maySubscription(state('cancelled', extra), request);
      expect(refusal?.code).toBe('subscription_cancelled');
      expect(refusal?.message).toMatch(/cancelled/);
    }
  });

  describe('cancel at the period end', () => {
    const request: SubscriptionRequest = { kind: 'cancel', at: 'period_end' };
    it.each(['active', 'paused'] as const)('is allowed when %s', (status) => {
      expect(maySubscription(state(status), request)).toBeNull();
      expect(maySubscription(state(status, { renewing: true }), request)).toBeNull();
    });
    it.each(['past_due', 'suspended'] as const)('is refused when %s: no paid period to run out', (status) => {
      const refusal = maySubscription(state(status), request);
      expect(refusal?.code).toBe('subscription_not_active');
      expect(refusal?.message).toContain(status);
      expect(refusal?.message).toContain('"now"');
    });
  });

  describe('cancel now', () => {
    const request: SubscriptionRequest = { kind: 'cancel', at: 'now' };
    it.each(['active', 'past_due', 'suspended', 'paused'] as const)('is allowed when %s', (status) => {
      expect(maySubscription(state(status), request)).toBeNull();
      expect(maySubscription(state(status, { cancelAtPeriodEnd: true }), request)).toBeNull();
    });
    it.each(['active', 'past_due', 'suspended'] as const)('is refused while a renewal is charged (%s)', (status) => {
      expect(codeOf(state(status, { renewing: true }), request)).toBe('renewal_in_progress');
    });
  });

  describe('pause', () => {
    const request: SubscriptionRequest = { kind: 'pause' };
    it('is allowed for an active subscription', () => {
      expect(maySubscription(state('active'), request)).toBeNull();
    });
    it.each(['past_due', 'suspended', 'paused'] as const)('is refused when %s', (status) => {
      const refusal = maySubscription(state(status), request);
      expect(refusal?.code).toBe('subscription_not_active');
      expect(refusal?.message).toContain(`(${status})`);
    });
    it('is refused when the subscription ends with this period', () => {
      expect(codeOf(state('active', { cancelAtPeriodEnd: true }), request)).toBe('subscription_ending');
      // Ending is the stronger reason: it holds after the renewal too.
      expect(codeOf(state('active', { cancelAtPeriodEnd: true, renewing: true }), request)).toBe('subscription_ending');
    });
    it('is refused while a renewal is charged', () => {
      expect(codeOf(state('active', { renewing: true }), request)).toBe('renewal_in_progress');
    });
  });

  describe('resume', () => {
    const request: SubscriptionRequest = { kind: 'resume' };
    it('is allowed for a paused subscription', () => {
      expect(maySubscription(state('paused'), request)).toBeNull();
    });
    it.each(['active', 'past_due', 'suspended'] as const)('is refused when %s', (status) => {
      const refusal = maySubscription(state(status), request);
      expect(refusal?.code).toBe('subscription_not_paused');
      expect(refusal?.message).toContain(`(${status})`);
    });
  });

  describe('change of period', () => {
    const request: SubscriptionRequest = { kind: 'change_period' };
    it.each(['active', 'past_due', 'suspended', 'paused'] as const)('is allowed when %s', (status) => {
      expect(maySubscription(state(status), request)).toBeNull();
      expect(maySubscription(state(status, { renewing: true }), request)).toBeNull();
    });
    it('is refused when the subscription ends with this period', () => {
      expect(codeOf(state('active', { cancelAtPeriodEnd: true }), request)).toBe('subscription_ending');
    });
  });

  it('answers with these codes only, each with a message', () => {
    const codes = new Set<string>();
    for (const s of allStates)
      for (const r of REQUESTS) {
        const refusal = maySubscription(s, r);
        if (!refusal) continue;
        codes.add(refusal.code);
        expect(refusal.message.length).toBeGreaterThan(10);
      }
    expect([...codes].sort()).toEqual([
      'renewal_in_progress',
      'subscription_cancelled',
      'subscription_ending',
      'subscription_not_active',
      'subscription_not_paused',
    ]);
  });
});
