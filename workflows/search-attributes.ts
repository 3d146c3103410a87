import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Typed search attributes operators filter on in the Temporal UI. `OrderStatus`, not `Status`:
// the UI already has an ExecutionStatus column and a custom "Status" would clash with it.
export const OrderNumberKey = defineSearchAttributeKey('OrderNumber', SearchAttributeType.KEYWORD);
export const OrderStatusKey = defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD);
export const TenantIdKey = defineSearchAttributeKey('TenantId', SearchAttributeType.KEYWORD);
export const CustomerEmailKey = defineSearchAttributeKey('CustomerEmail', SearchAttributeType.KEYWORD);
export const PaymentMethodKey = defineSearchAttributeKey('PaymentMethod', SearchAttributeType.KEYWORD);

// A subscription's workflow (issue 13): operators find it by number and status, and by when it
// renews next (a Datetime, so `NextRenewalAt < "2027-01-01T00:00:00Z"` works in the UI).
export const SubscriptionNumberKey = defineSearchAttributeKey('SubscriptionNumber', SearchAttributeType.KEYWORD);
export const SubscriptionStatusKey = defineSearchAttributeKey('SubscriptionStatus', SearchAttributeType.KEYWORD);
export const NextRenewalAtKey = defineSearchAttributeKey('NextRenewalAt', SearchAttributeType.DATETIME);

/** `--search-attribute` values for `temporal server start-dev` and the test servers. */
export const SEARCH_ATTRIBUTE_REGISTRATIONS: Record<string, 'Keyword' | 'Datetime'> = {
  OrderNumber: 'Keyword',
  OrderStatus: 'Keyword',
  TenantId: 'Keyword',
  CustomerEmail: 'Keyword',
  PaymentMethod: 'Keyword',
  SubscriptionNumber: 'Keyword',
  SubscriptionStatus: 'Keyword',
  NextRenewalAt: 'Datetime',
};
