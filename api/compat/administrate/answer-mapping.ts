// Our order summary (POST /v1/orders answers it) → Administrate's create answer. Pure.

/** The fields of our order summary this mapping reads. */
export interface OurOrderSummary {
  id: string;
  number: number;
}

export interface AdministrateOrderCreated {
  msg: 'order created';
  /** Their order id is an integer: ours is the tenant's order number, an integer too. */
  order_id: number;
  /** Our order id, for /v1 (`GET /v1/orders/{id}`): an addition their clients may ignore. */
  id: string;
}

export function toOrderCreated(order: OurOrderSummary): AdministrateOrderCreated {
  return { msg: 'order created', order_id: order.number, id: order.id };
}
