import type { InvoiceDocument } from '../../../db/queries/invoices';
import { toMajor } from './order-answer-mapping';
import { venueXml } from './venue-xml';

// Our issued documents (GET /v1/invoices) → the venue platform's invoice export, as JSON or XML.
// Pure. Amounts in major units including VAT, as theirs; `type` is `invoice` or `creditnote`
// (a receipt — an invoice paid at once by card — is an invoice to them; `documentType` keeps ours).

type Address = InvoiceDocument['customer']['address'];

/** A line's discount including VAT: ours is in the tenant's price basis, theirs includes VAT. */
function discountInclVat(doc: InvoiceDocument, line: InvoiceDocument['lines'][number]): number {
  if (doc.prices_include_vat) return line.discount;
  return Math.round(line.discount * (1 + line.vat_rate_bp / 10_000));
}

function addressFields(address: Address) {
  return {
    street: address?.line_1 ?? null,
    zipCode: address?.zipcode ?? null,
    city: address?.city ?? null,
    country: address?.country_code ?? null,
  };
}

export function toVenueInvoice(doc: InvoiceDocument) {
  const major = (amount: number) => toMajor(amount, doc.currency);
  const lines = doc.lines.map((line) => {
    const discount = discountInclVat(doc, line);
    return {
      id: line.line_id ?? String(line.position),
      type: line.line_type ?? 'item',
      quantity: line.quantity,
      // Per unit, including VAT, before the discount: quantity × amount − discount = totalAmount.
      amount: line.quantity ? major((line.incl_vat + discount) / line.quantity) : 0,
      discount: major(discount),
      vatPercentage: line.vat_percent,
      totalAmount: major(line.incl_vat),
      sku: line.product_id,
      eventId: line.occurrence_id,
      eventName: line.description,
      date: line.date,
    };
  });
  const customer = doc.customer;
  return {
    id: doc.id,
    number: doc.number,
    orderId: doc.order_id,
    orderNumber: doc.order_number,
    type: doc.type === 'credit_note' ? 'creditnote' : 'invoice',
    documentType: doc.type,
    creditsNumber: doc.credits?.number ?? null,
    externalId: doc.external_id,
    status: doc.status,
    date: doc.date,
    dueDate: doc.due_date,
    totalAmount: major(doc.totals.incl_vat),
    totalDiscount: major(doc.lines.reduce((sum, line) => sum + discountInclVat(doc, line), 0)),
    totalVat: major(doc.totals.vat),
    currencyCode: doc.currency.toUpperCase(),
    // We keep no customer numbers on documents: the buyer is identified by its name and email.
    customer: {
      id: null,
      number: customer.org_number,
      name: customer.name,
      company: customer.company,
      ...addressFields(customer.address),
      email: customer.email,
      mobile: customer.phone,
      phone: customer.phone,
    },
    deliveryAddress: doc.delivery
      ? { name: doc.delivery.name, company: customer.company, ...addressFields(doc.delivery.address) }
      : null,
    lines,
  };
}

export type VenueInvoice = ReturnType<typeof toVenueInvoice>;

/** Their `format=xml`: root <invoices>, one <invoice> per document, fields named as in the JSON. */
export function venueInvoicesXml(invoices: VenueInvoice[]): string {
  return venueXml('invoices', { invoice: invoices });
}
