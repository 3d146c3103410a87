/** Which order a query is about; the tenant is always part of it, so no query crosses tenants. */
export interface OrderScope {
  tenantId: string;
  orderId: string;
}
