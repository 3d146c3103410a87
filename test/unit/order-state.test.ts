import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { IllegalTransition, mayOrder, nextStatus, type OrderState, TRANSITIONS } from '../../domain/order-state';
import { ORDER_STATUSES } from '../../domain/order-status';

const DIAGRAM = path.resolve(import.meta.dirname, '../../docs/order-lifecycle.md');

/** `from --> to: event — …` lines of the lifecycle's mermaid diagram, start and end markers left out. */
function diagramEdges(): string[] {
  const markdown = readFileSync(DIAGRAM, 'utf8');
  const diagram = markdown.slice(
    markdown.indexOf('```mermaid'),
    markdown.indexOf('```', markdown.indexOf('```mermaid') + 3),
  );
  return [...diagram.matchAll(/^\s*(\w+) --> (\w+)(?::\s*(\w+))?/gm)].map(
    ([, from, to, event]) => `${from} -${event}-> ${to}`,
  );
}

const tableEdges = () => TRANSITIONS.flatMap((t) => t.from.map((from) => `${from} -${t.event}-> ${t.to}`));

const state = (status: OrderState['status'], attention: OrderState['attention'] = null): OrderState => ({
  status,
  attention,
});

describe('the transition table', () => {
  it('has exactly the edges the lifecycle diagram draws, each labelled with its event', () => {
    expect(new Set(diagramEdges())).toEqual(new Set(tableEdges()));
    expect(diagramEdges()).toHaveLength(new Set(diagramEdges()).size);
  });

  it('only names real statuses', () => {
    for (const edge of TRANSITIONS) {
      for (const status of [...edge.from, edge.to]) expect(ORDER_STATUSES).toContain(status);
    }
  });

  it('moves along the table and refuses what it does not have', () => {
    expect(nextStatus('received', 'taken_for_card_payment')).toBe('awaiting_payment');
    expect(nextStatus('payment_failed', 'payment_received')).toBe('paid');
    expect(nextStatus('needs_attention', 'settled', 'invoiced')).toBe('invoiced');
    expect(() => nextStatus('completed', 'payment_received')).toThrow(IllegalTransition);
    expect(() => nextStatus('expired', 'deadline_passed')).toThrow(IllegalTransition);
    expect(() => nextStatus('needs_attention', 'settled', 'awaiting_payment')).toThrow(IllegalTransition);
  });

  it('lets every status but the final ones move on, and none move out of rejected', () => {
    const leaving = new Set(TRANSITIONS.flatMap((t) => t.from));
    for (const status of ORDER_STATUSES) {
      if (status === 'rejected') expect(leaving.has(status)).toBe(false);
      else expect(leaving.has(status), status).toBe(true);
    }
  });
});

describe('mayOrder', () => {
  it('lets notes change once the order exists, contents only while it waits for its card payment', () => {
    expect(mayOrder(state('received'), { kind: 'change_notes' })?.code).toBe('order_not_changeable');
    expect(mayOrder(state('completed'), { kind: 'change_notes' })).toBeNull();
    expect(mayOrder(state('payment_failed'), { kind: 'change_contents' })).toBeNull();
    expect(mayOrder(state('invoiced'), { kind: 'change_contents' })?.code).toBe('order_not_changeable');
  });

  it('cancels under the rules: not twice, participants only after payment, parked orders by operators only', () => {
    const client = { kind: 'cancel', by: 'client', partial: false } as const;
    expect(mayOrder(state('completed'), client)).toBeNull();
    expect(mayOrder(state('expired'), client)?.code).toBe('order_not_cancellable');
    expect(mayOrder(state('awaiting_payment'), { ...client, partial: true })?.code).toBe(
      'partial_cancellation_not_allowed',
    );
    expect(mayOrder(state('needs_attention', { cause: 'refund', resumeTo: 'completed' }), client)?.code).toBe(
      'order_not_cancellable',
    );
    expect(
      mayOrder(state('needs_attention', { cause: 'refund', resumeTo: 'completed' }), { ...client, by: 'operator' }),
    ).toBeNull();
    // Cancelled already, parked only because its refund was refused: there is nothing left to cancel.
    expect(
      mayOrder(state('needs_attention', { cause: 'refund', resumeTo: 'cancelled' }), { ...client, by: 'operator' })
        ?.code,
    ).toBe('order_not_cancellable');
  });

  it('takes a payment while one is open and names the invoice when the order is paid by bank transfer', () => {
    expect(mayOrder(state('awaiting_payment'), { kind: 'pay' })).toBeNull();
    expect(mayOrder(state('invoiced'), { kind: 'pay' })).toEqual({
      code: 'order_not_payable',
      message: 'This order is paid by invoice (bank transfer)',
    });
    expect(mayOrder(state('cancelled'), { kind: 'pay' })?.code).toBe('order_not_payable');
  });

  it('settles parked orders only, and accepts only a payment that differs', () => {
    expect(mayOrder(state('completed'), { kind: 'settle', action: 'refund' })?.code).toBe('order_not_in_attention');
    const refused = state('needs_attention', { cause: 'refund', resumeTo: 'cancelled' });
    expect(mayOrder(refused, { kind: 'settle', action: 'accept' })?.code).toBe('settlement_not_allowed');
    expect(
      mayOrder(state('needs_attention', { cause: 'payment', resumeTo: 'awaiting_payment' }), {
        kind: 'settle',
        action: 'accept',
      }),
    ).toBeNull();
  });
});
