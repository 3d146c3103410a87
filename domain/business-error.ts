/** A business-rule failure reported to the client in a 422 `errors` list. */
export interface BusinessError {
  code: string;
  message: string;
  field?: string;
  index?: number;
}
