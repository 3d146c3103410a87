import type { Client } from '@temporalio/client';
import type { Transporter } from 'nodemailer';
import type { Db } from '../db/database';
import type { PaymentProviderRegistry } from '../payments/provider-registry';

export interface ActivityDeps {
  db: Db;
  publicBaseUrl: string;
  mailTransport: Transporter;
  /** The tenant's provider for a new session; the payment's own provider for anything after. */
  paymentProviders: PaymentProviderRegistry;
  /** For the subscription activities that start workflows and send Updates to orders; absent in unit tests. */
  temporal?: Client;
}
