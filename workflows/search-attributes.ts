import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Typed search attributes operators filter on in the Temporal UI. `OrderStatus`, not `Status`:
// the UI already has an ExecutionStatus column and a custom "Status" would clash with it.
export const OrderNumberKey = defineSearchAttributeKey('OrderNumber', SearchAttributeType.KEYWORD);
export const OrderStatusKey = defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD);
export const TenantIdKey = defineSearchAttributeKey('TenantId', SearchAttributeType.KEYWORD);
export const CustomerEmailKey = defineSearchAttributeKey('CustomerEmail', SearchAttributeType.KEYWORD);
export const PaymentMethodKey = defineSearchAttributeKey('PaymentMethod', SearchAttributeType.KEYWORD);

/** `--search-attribute` values for `temporal server start-dev` and the test servers. */
export const SEARCH_ATTRIBUTE_REGISTRATIONS: Record<string, 'Keyword'> = {
  OrderNumber: 'Keyword',
  OrderStatus: 'Keyword',
  TenantId: 'Keyword',
  CustomerEmail: 'Keyword',
  PaymentMethod: 'Keyword',
};
