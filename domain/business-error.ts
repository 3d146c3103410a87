/** A business-rule failure reported to the client in a 422 `errors` list. */
export interface BusinessError {
  code: string;
  message: string;
  field?: string;
  index?: number;
  /** The value the rule asked for, where it is one (the total a prepayment must equal), so a client can correct. */
  expected?: number;
}
