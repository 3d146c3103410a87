import type { Transporter } from 'nodemailer';
import type { Db } from '../db/database';
import type { PaymentProviderRegistry } from '../payments/provider-registry';

export interface ActivityDeps {
  db: Db;
  publicBaseUrl: string;
  mailTransport: Transporter;
  /** The tenant's provider for a new session; the payment's own provider for anything after. */
  paymentProviders: PaymentProviderRegistry;
}
