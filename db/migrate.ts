import { type Kysely, type Migration, type MigrationProvider, Migrator, NO_MIGRATIONS } from 'kysely';
import * as initialSchema from './migrations/0001_initial_schema';
import * as invoiceDocuments from './migrations/0002_invoice_documents';
import * as orderListIndexes from './migrations/0003_order_list_indexes';
import * as orderPolicies from './migrations/0004_order_policies';
import * as paymentProviders from './migrations/0005_payment_providers';
import * as sandboxWebhookDeliveries from './migrations/0006_sandbox_webhook_deliveries';
import * as savedCards from './migrations/0007_saved_cards';
import * as orderCredits from './migrations/0008_order_credits';
import * as paymentEventsPerTenant from './migrations/0009_payment_events_per_tenant';
import * as sandboxPageTokens from './migrations/0010_sandbox_page_tokens';
import * as idempotentResponseBytes from './migrations/0011_idempotent_response_bytes';
import * as orderStatusNotify from './migrations/0012_order_status_notify';
import * as orderExternalReferences from './migrations/0013_order_external_references';
import * as outboundWebhooks from './migrations/0014_outbound_webhooks';
import * as participantAttendance from './migrations/0015_participant_attendance';
import * as occurrenceResources from './migrations/0016_occurrence_resources';
import * as customerAddresses from './migrations/0017_customer_addresses';
import * as paidOrderDeletion from './migrations/0018_paid_order_deletion';
import * as campaignStacking from './migrations/0019_campaign_stacking';
import * as prepaidOrders from './migrations/0020_prepaid_orders';
import * as approvalHolds from './migrations/0021_approval_holds';
import * as subscriptionPeriods from './migrations/0022_subscription_periods';
import * as subscriptions from './migrations/0023_subscriptions';
import * as subscriptionCycles from './migrations/0024_subscription_cycles';
import * as catalogExternalIds from './migrations/0025_catalog_external_ids';
import * as paymentSavedCard from './migrations/0026_payment_saved_card';
import * as orderStatusNotifyStatus from './migrations/0027_order_status_notify_status';

// Migrations are listed in code (not read from a folder) so the same list works under tsx,
// in a bundled build and in tests.
const migrations: Record<string, Migration> = {
  '0001_initial_schema': initialSchema,
  '0002_invoice_documents': invoiceDocuments,
  '0003_order_list_indexes': orderListIndexes,
  '0004_order_policies': orderPolicies,
  '0005_payment_providers': paymentProviders,
  '0006_sandbox_webhook_deliveries': sandboxWebhookDeliveries,
  '0007_saved_cards': savedCards,
  '0008_order_credits': orderCredits,
  '0009_payment_events_per_tenant': paymentEventsPerTenant,
  '0010_sandbox_page_tokens': sandboxPageTokens,
  '0011_idempotent_response_bytes': idempotentResponseBytes,
  '0012_order_status_notify': orderStatusNotify,
  '0013_order_external_references': orderExternalReferences,
  '0014_outbound_webhooks': outboundWebhooks,
  '0015_participant_attendance': participantAttendance,
  '0016_occurrence_resources': occurrenceResources,
  '0017_customer_addresses': customerAddresses,
  '0018_paid_order_deletion': paidOrderDeletion,
  '0019_campaign_stacking': campaignStacking,
  '0020_prepaid_orders': prepaidOrders,
  '0021_approval_holds': approvalHolds,
  '0022_subscription_periods': subscriptionPeriods,
  '0023_subscriptions': subscriptions,
  '0024_subscription_cycles': subscriptionCycles,
  '0025_catalog_external_ids': catalogExternalIds,
  '0026_payment_saved_card': paymentSavedCard,
  '0027_order_status_notify_status': orderStatusNotifyStatus,
};

class StaticMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations;
  }
}

export const MIGRATION_NAMES = Object.keys(migrations).sort();

export function createMigrator(db: Kysely<any>): Migrator {
  return new Migrator({ db, provider: new StaticMigrationProvider() });
}

export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const { error, results } = await createMigrator(db).migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

export async function migrateDownAll(db: Kysely<any>): Promise<void> {
  const { error } = await createMigrator(db).migrateTo(NO_MIGRATIONS);
  if (error) throw error instanceof Error ? error : new Error(String(error));
}
