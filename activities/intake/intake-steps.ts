import type { Db } from '../../db/database';
import { type PlaceOrderInput, placeOrder } from './place-order';
import { type ValidateOrderInput, validateOrder } from './validate-order';

/**
 * The intake's steps as activities: intakeOrder runs them in one activity, but they stay
 * registered on their own, so a workflow that scheduled them separately still finds them.
 */
export function createIntakeStepActivities({ db }: { db: Db }) {
  return {
    validateOrder: (input: ValidateOrderInput) => validateOrder(db, input),
    placeOrder: (input: PlaceOrderInput) => placeOrder(db, input),
  };
}
