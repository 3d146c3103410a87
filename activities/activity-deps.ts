import type { Transporter } from 'nodemailer';
import type { Db } from '../db/database';
import type { PaymentProvider } from './payments/payment-provider';

export interface ActivityDeps {
  db: Db;
  publicBaseUrl: string;
  mailTransport: Transporter;
  paymentProvider: PaymentProvider;
}
