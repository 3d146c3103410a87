import type { ActivityDeps } from './activity-deps';
import { createDocumentActivities } from './documents/issue-document';
import { createGiftVoucherActivities } from './gift-vouchers';
import { type EmailKind, queueOrderEmail } from './notifications/queue-order-email';
import { createOrderCancellationActivities } from './order-cancellation';
import { createOrderCompletionActivities } from './order-completion';
import { createOrderIntakeActivities } from './order-intake';
import { createIntakeInOneActivity } from './order-intake-in-one';
import { createOrderLifecycleActivities } from './order-lifecycle';
import { createPaymentActivities } from './payments/payment-activities';

/** Every activity the order workflow calls, bound to their dependencies. */
export function createActivities(deps: ActivityDeps) {
  const intake = createOrderIntakeActivities(deps);
  const payments = createPaymentActivities(deps);
  return {
    ...intake,
    ...createIntakeInOneActivity({ ...intake, createPaymentSession: payments.createPaymentSession }),
    ...createOrderLifecycleActivities(deps),
    ...createOrderCancellationActivities(deps),
    ...createOrderCompletionActivities(deps),
    ...payments,
    ...createDocumentActivities(deps),
    ...createGiftVoucherActivities(deps),
    queueOrderEmail: (input: { tenantId: string; orderId: string; kind: EmailKind; sequence?: number }) =>
      queueOrderEmail({ db: deps.db, transport: deps.mailTransport, publicBaseUrl: deps.publicBaseUrl }, input),
  };
}

export type OrderActivities = ReturnType<typeof createActivities>;
