import type { BusinessError } from '../../domain/business-error';

/** Thrown inside a placement's transaction to roll everything back and answer with business errors. */
export class PlacementRejected extends Error {
  constructor(readonly errors: BusinessError[]) {
    super('placement rejected');
  }
}
