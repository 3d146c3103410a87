import type { PlaceOrderInput } from '../../activities/intake/place-order';
import { validateOrder } from '../../activities/intake/validate-order';
import type { Db } from '../../db/database';
import type { OrderPaymentMethod, OrderRequest } from '../../domain/order-request';
import { createOccurrence, createProduct } from './fixtures';

/**
 * A validated order for one new occurrence, ready for placeOrder (activities/intake): for tests of the placement and
 * what follows it, without a stack.
 */
export async function validatedPlacement(
  db: Db,
  tenantId: string,
  options: { paymentMethod: OrderPaymentMethod; quantity: number; price?: number; capacity?: number },
): Promise<{ input: PlaceOrderInput; occurrenceId: string }> {
  const course = await createProduct(db, tenantId, { price: options.price ?? 5_000, name: 'Placed course' });
  const occurrenceId = await createOccurrence(db, tenantId, course, { capacity: options.capacity ?? 50 });
  const request = {
    payment_method: options.paymentMethod,
    booker: { email: 'placed@example.com', firstname: 'Placed', lastname: 'Booker' },
    lines: [{ occurrence_id: occurrenceId, quantity: options.quantity }],
  } as OrderRequest;
  const submission = { request, requestHash: 'placement', canOverridePrice: false };
  const validated = await validateOrder(db, { tenantId, submission });
  if (!validated.ok) throw new Error(JSON.stringify(validated.errors));
  const orderId = crypto.randomUUID();
  const input: PlaceOrderInput = {
    tenantId,
    orderId,
    orderNumber: 1_000 + Math.floor(Math.random() * 1_000_000_000),
    workflowId: `order-${orderId}`,
    submission,
    draft: validated.draft,
    paymentMethod: options.paymentMethod,
    preliminaryUntil: options.paymentMethod === 'card' ? new Date(Date.now() + 30 * 60_000).toISOString() : null,
  };
  return { input, occurrenceId };
}
