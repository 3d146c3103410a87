import type { Db } from '../../db/database';
import { findOrderInvoiceId } from '../../db/queries/order-email-data';
import type { InvoicesTable } from '../../db/schema';
import { type EmailKind, renderOrderEmail } from './email-templates';

export type { EmailKind } from './email-templates';
import { type LoadedOrderEmailView, loadOrderEmailView } from './order-email-view';
import { deliverSoon, type FromResolver, type MailTransport, queueEmails } from './outbox';

export interface QueueOrderEmailDeps {
  db: Db;
  transport: MailTransport;
  /** Base for relative links (payment redirect URLs). */
  publicBaseUrl: string;
  /** From header per tenant; the tenant's email_from when absent. */
  from?: FromResolver;
}

export interface QueueOrderEmailInput {
  tenantId: string;
  orderId: string;
  kind: EmailKind;
  /** For mails that may go out more than once per order (2nd reminder, 2nd cancellation…). */
  sequence?: number;
}

/** The document whose number / due date an e-mail of this kind shows (when the order has one). */
const DOCUMENT_KIND: Partial<Record<EmailKind, InvoicesTable['kind']>> = {
  receipt: 'receipt',
  invoice: 'invoice',
  invoice_reminder: 'invoice',
  cancelled: 'credit_note',
  refund: 'credit_note',
};

/**
 * Who gets an e-mail of this kind: a receipt goes to the booker and — when the order asks for
 * it — to the participants; an invoice to the invoice address, else the booker; everything else
 * to the booker. Deduplicated case-insensitively, first spelling wins.
 */
export function pickRecipients(
  kind: EmailKind,
  loaded: Pick<LoadedOrderEmailView, 'recipients' | 'sendToParticipants'>,
): string[] {
  const { recipients } = loaded;
  let candidates: (string | null)[];
  switch (kind) {
    case 'receipt':
      candidates = [recipients.booker, ...(loaded.sendToParticipants ? recipients.participants : [])];
      break;
    case 'invoice':
      candidates = [recipients.invoice ?? recipients.booker];
      break;
    default:
      candidates = [recipients.booker];
  }
  const seen = new Set<string>();
  const picked: string[] = [];
  for (const candidate of candidates) {
    const address = candidate?.trim();
    if (!address) continue;
    const key = address.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    picked.push(address);
  }
  return picked;
}

/**
 * Activity body: renders the order's e-mail of `kind` for each recipient (all in the order's
 * language), queues it in the outbox and tries to deliver it at once. Idempotent — a retried or
 * repeated call finds the rows already queued (or sent) and sends nothing twice. SMTP failures
 * leave the rows pending for the dispatcher and do not fail the call.
 * `queued` is the number of outbox rows this kind has for the order's recipients.
 */
export async function queueOrderEmail(
  deps: QueueOrderEmailDeps,
  input: QueueOrderEmailInput,
): Promise<{ queued: number }> {
  const loaded = await loadOrderEmailView(deps.db, input.orderId, {
    documentKind: DOCUMENT_KIND[input.kind],
    publicBaseUrl: deps.publicBaseUrl,
  });
  if (loaded.tenantId !== input.tenantId) {
    throw new Error(`order ${input.orderId} does not belong to tenant ${input.tenantId}`);
  }
  const recipients = pickRecipients(input.kind, loaded);
  if (recipients.length === 0) return { queued: 0 };

  const email = renderOrderEmail(input.kind, loaded.language, loaded.view);
  // The invoice mail carries the invoice as a PDF, rendered when the mail is sent.
  const attachmentInvoiceId = input.kind === 'invoice' ? await findOrderInvoiceId(deps.db, input.orderId) : null;
  const ids = await queueEmails(
    deps.db,
    recipients.map((recipient) => ({
      tenantId: input.tenantId,
      orderId: input.orderId,
      // The outbox sends each (order, kind, recipient) once; a sequence makes a new one.
      kind: input.sequence && input.sequence > 1 ? `${input.kind}_${input.sequence}` : input.kind,
      recipient,
      ...email,
      attachmentInvoiceId,
    })),
  );
  await deliverSoon(deps.db, deps.transport, ids, deps.from);
  return { queued: ids.length };
}
