import { ApplicationFailure } from '@temporalio/common';
import type { Db } from '../db/database';
import { findTenantPaymentProvider } from '../db/queries/tenant-settings';
import type { PaymentProvider } from './payment-provider';
import { SandboxPaymentProvider } from './sandbox-provider';
import { StripePaymentProvider } from './stripe-provider';

/**
 * Which provider takes a payment. A new session goes to the tenant's current choice
 * (`tenants.payment_provider`); anything done to an existing payment (close, refund) goes to the
 * provider that took it (`payments.provider`), even if the tenant has switched since.
 */
export interface PaymentProviderRegistry {
  forTenant(tenantId: string): Promise<PaymentProvider>;
  byName(name: string): PaymentProvider;
}

export function createPaymentProviderRegistry(db: Db, providers: PaymentProvider[]): PaymentProviderRegistry {
  const byName = new Map(providers.map((p) => [p.name, p]));
  const registry: PaymentProviderRegistry = {
    byName(name) {
      const provider = byName.get(name);
      if (!provider)
        throw ApplicationFailure.nonRetryable(
          `payment provider "${name}" is not available on this worker`,
          'PaymentProviderUnknown',
        );
      return provider;
    },
    async forTenant(tenantId) {
      const name = await findTenantPaymentProvider(db, tenantId);
      if (!name) throw ApplicationFailure.nonRetryable(`unknown tenant ${tenantId}`, 'PaymentProviderUnknown');
      return registry.byName(name);
    },
  };
  return registry;
}

/** The worker's providers: the built-in sandbox and Stripe (configured per tenant from `env`). */
export function createDefaultPaymentProviders(options: {
  db: Db;
  publicBaseUrl: string;
  env?: NodeJS.ProcessEnv;
}): PaymentProviderRegistry {
  const env = options.env ?? process.env;
  return createPaymentProviderRegistry(options.db, [
    new SandboxPaymentProvider(options.db, options.publicBaseUrl),
    new StripePaymentProvider({
      db: options.db,
      publicBaseUrl: options.publicBaseUrl,
      env,
      apiBase: env.STRIPE_API_BASE || undefined,
    }),
  ]);
}
