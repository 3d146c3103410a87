import type { ActivityDeps } from './activity-deps';
import { createCardPaymentCompletion } from './card-payment-completion';
import { createDocumentActivities } from './documents/issue-document';
import { createGiftVoucherActivities } from './gift-vouchers';
import { type EmailKind, queueOrderEmail } from './notifications/queue-order-email';
import { createOrderApprovalActivities } from './order-approval';
import { createOrderCancellationActivities } from './order-cancellation';
import { createOrderCompletionActivities } from './order-completion';
import { createIntakeStepActivities } from './intake/intake-steps';
import { createTakeOrderActivity } from './intake/take-order';
import { createOrderChangeActivities } from './order-changes';
import { createOrderLifecycleActivities } from './order-lifecycle';
import { createPaymentActivities } from './payment-activities';
import { createSubscriptionActivities, type SubscriptionActivities } from './subscription-activities';

/** Every activity the order and subscription workflows call, bound to their dependencies. */
export function createActivities(deps: ActivityDeps) {
  const intake = createIntakeStepActivities(deps);
  const payments = createPaymentActivities(deps);
  const completion = createOrderCompletionActivities(deps);
  const lifecycle = createOrderLifecycleActivities(deps);
  const documents = createDocumentActivities(deps);
  const giftVouchers = createGiftVoucherActivities(deps);
  const mail = {
    queueOrderEmail: (input: { tenantId: string; orderId: string; kind: EmailKind; sequence?: number }) =>
      queueOrderEmail({ db: deps.db, transport: deps.mailTransport, publicBaseUrl: deps.publicBaseUrl }, input),
  };
  return {
    ...intake,
    ...createTakeOrderActivity({ ...intake, createPaymentSession: payments.createPaymentSession }),
    ...createOrderChangeActivities(deps),
    ...lifecycle,
    ...createOrderCancellationActivities(deps),
    ...createOrderApprovalActivities(deps),
    ...completion,
    ...payments,
    ...createCardPaymentCompletion({ ...payments, ...completion }),
    ...documents,
    ...giftVouchers,
    ...mail,
    ...createSubscriptionActivities(deps),
  };
}

/** What the order workflow calls: everything but the subscription workflow's own activities. */
export type OrderActivities = Omit<
  ReturnType<typeof createActivities>,
  Exclude<keyof SubscriptionActivities, 'startSubscriptionWorkflows'>
>;
