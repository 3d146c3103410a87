import PDFDocument from 'pdfkit';
import type { DocumentAddress, DocumentType, InvoiceDocument } from '../../db/queries/invoices';
import { formatMinor } from '../../domain/money';

// The PDF of an issued document (invoice, receipt, credit note), drawn with pdfkit's built-in
// Helvetica (no font files to ship; covers Western European text such as æ, ø, å, é, €).
// Everything printed comes from the stored document, so the same document always prints alike.

const TITLES: Record<DocumentType, string> = {
  invoice: 'Invoice',
  receipt: 'Receipt',
  credit_note: 'Credit note',
};

const MARGIN = 50;
const PAGE_WIDTH = 595.28; // A4
const PAGE_HEIGHT = 841.89;
const CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN;
const BOTTOM = PAGE_HEIGHT - MARGIN - 30; // room for the footer
const GREY = '#555555';
const RULE = '#cccccc';

interface Column {
  key: 'description' | 'quantity' | 'unit_price' | 'discount' | 'vat_percent' | 'excl_vat' | 'vat' | 'incl_vat';
  label: string;
  width: number;
  align: 'left' | 'right';
}

const COLUMNS: Column[] = [
  { key: 'description', label: 'Description', width: 150, align: 'left' },
  { key: 'quantity', label: 'Qty', width: 30, align: 'right' },
  { key: 'unit_price', label: 'Unit price', width: 55, align: 'right' },
  { key: 'discount', label: 'Discount', width: 55, align: 'right' },
  { key: 'vat_percent', label: 'VAT %', width: 35, align: 'right' },
  { key: 'excl_vat', label: 'Excl. VAT', width: 60, align: 'right' },
  { key: 'vat', label: 'VAT', width: 50, align: 'right' },
  { key: 'incl_vat', label: 'Total', width: 60, align: 'right' },
];

/** "1250.00" for 125000 NOK minor units: the table shows the currency once, in the header. */
function amount(minor: number, currency: string): string {
  return formatMinor(minor, currency).replace(/ [A-Z]{3}$/, '');
}

function money(minor: number, currency: string): string {
  return formatMinor(minor, currency);
}

function percent(value: number): string {
  return `${Number.isInteger(value) ? value : value.toFixed(2).replace(/0+$/, '')} %`;
}

function addressLines(address: DocumentAddress | null): string[] {
  if (!address) return [];
  const place = [address.zipcode, address.city].filter(Boolean).join(' ');
  return [address.line_1, address.line_2, address.line_3, place || null, address.country_code].filter(
    (l): l is string => !!l,
  );
}

function documentTitle(invoice: Pick<InvoiceDocument, 'type'>): string {
  return TITLES[invoice.type] ?? 'Document';
}

/** What the PDF's totals call the final amount. */
function finalAmountLabel(invoice: InvoiceDocument): string {
  if (invoice.type === 'credit_note') return 'Amount credited';
  if (invoice.type === 'receipt') return 'Total paid';
  return invoice.status === 'paid' ? 'Total (paid)' : 'Amount due';
}

/** Renders the document as an A4 PDF. Pure: no I/O besides pdfkit's own font metrics. */
export function renderInvoicePdf(invoice: InvoiceDocument): Promise<Buffer> {
  const title = documentTitle(invoice);
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    bufferPages: true,
    info: {
      Title: `${title} ${invoice.number}`,
      Author: invoice.seller.legal_name ?? invoice.seller.name,
      Subject: `${title} ${invoice.number} for order ${invoice.order_number}`,
      CreationDate: new Date(invoice.issued_at),
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  try {
    drawDocument(doc, invoice, title);
    drawFooters(doc, invoice);
    doc.end();
  } catch (error) {
    return Promise.reject(error);
  }
  return done;
}

function drawDocument(doc: PDFKit.PDFDocument, invoice: InvoiceDocument, title: string): void {
  const { seller, customer, currency } = invoice;

  // Title and seller, side by side.
  doc.font('Helvetica-Bold').fontSize(22).fillColor('black').text(title, MARGIN, MARGIN, { width: 250 });
  doc
    .font('Helvetica')
    .fontSize(11)
    .fillColor(GREY)
    .text(invoice.number, MARGIN, doc.y + 2, { width: 250 });
  const sellerX = MARGIN + 280;
  const sellerWidth = CONTENT_WIDTH - 280;
  let y = MARGIN;
  doc
    .font('Helvetica-Bold')
    .fontSize(11)
    .fillColor('black')
    .text(seller.legal_name ?? seller.name, sellerX, y, { width: sellerWidth, align: 'right' });
  y = doc.y;
  const sellerLines = [
    ...(seller.legal_name && seller.legal_name !== seller.name ? [seller.name] : []),
    ...addressLines(seller.address),
    seller.org_number ? `Org. no. ${seller.org_number}` : null,
    seller.vat_number ? `VAT no. ${seller.vat_number}` : null,
    seller.email,
  ].filter((l): l is string => !!l);
  doc.font('Helvetica').fontSize(9).fillColor(GREY);
  for (const line of sellerLines) {
    doc.text(line, sellerX, y, { width: sellerWidth, align: 'right' });
    y = doc.y;
  }

  // Buyer (left) and the document's facts (right).
  const blockTop = Math.max(doc.y, MARGIN + 70) + 20;
  let left = blockTop;
  const leftWidth = 250;
  const label = (textValue: string, x: number, at: number, width: number) => {
    doc.font('Helvetica-Bold').fontSize(8).fillColor(GREY).text(textValue.toUpperCase(), x, at, { width });
    return doc.y + 2;
  };
  left = label(invoice.type === 'receipt' ? 'Customer' : 'Bill to', MARGIN, left, leftWidth);
  const buyerLines: { text: string; bold?: boolean }[] = [];
  if (customer.name) buyerLines.push({ text: customer.name, bold: true });
  if (customer.contact && customer.contact !== customer.name)
    buyerLines.push({ text: customer.company ? `Attn. ${customer.contact}` : customer.contact });
  for (const line of addressLines(customer.address)) buyerLines.push({ text: line });
  if (customer.org_number) buyerLines.push({ text: `Org. no. ${customer.org_number}` });
  if (customer.vat_number) buyerLines.push({ text: `VAT no. ${customer.vat_number}` });
  if (customer.gln) buyerLines.push({ text: `GLN ${customer.gln}` });
  if (customer.reference) buyerLines.push({ text: `Your reference: ${customer.reference}` });
  if (customer.email) buyerLines.push({ text: customer.email });
  if (buyerLines.length === 0) buyerLines.push({ text: '—' });
  for (const line of buyerLines) {
    doc
      .font(line.bold ? 'Helvetica-Bold' : 'Helvetica')
      .fontSize(10)
      .fillColor('black')
      .text(line.text, MARGIN, left, { width: leftWidth });
    left = doc.y;
  }
  if (invoice.delivery) {
    left = label('Deliver to', MARGIN, left + 10, leftWidth);
    for (const line of [invoice.delivery.name, ...addressLines(invoice.delivery.address)].filter(
      (l): l is string => !!l,
    )) {
      doc.font('Helvetica').fontSize(10).fillColor('black').text(line, MARGIN, left, { width: leftWidth });
      left = doc.y;
    }
  }

  const facts: [string, string][] = [
    [`${title} no.`, invoice.number],
    ['Date', invoice.date],
  ];
  if (invoice.credits) facts.push(['Credits invoice', invoice.credits.number]);
  if (invoice.due_date && invoice.type === 'invoice') facts.push(['Due date', invoice.due_date]);
  facts.push(['Order no.', String(invoice.order_number)]);
  if (invoice.payment_reference && invoice.type === 'invoice')
    facts.push(['Payment reference', invoice.payment_reference]);
  facts.push(['Currency', currency.toUpperCase()]);
  if (invoice.exchange_rate && invoice.base_currency !== currency) {
    facts.push([
      'Exchange rate',
      `1 ${invoice.base_currency.toUpperCase()} = ${invoice.exchange_rate} ${currency.toUpperCase()}`,
    ]);
  }
  if (invoice.paid_at && invoice.type !== 'credit_note') facts.push(['Paid', invoice.paid_at.slice(0, 10)]);
  let right = blockTop;
  const factsX = MARGIN + 290;
  for (const [key, value] of facts) {
    doc.font('Helvetica').fontSize(9).fillColor(GREY).text(key, factsX, right, { width: 95 });
    doc
      .font('Helvetica-Bold')
      .fontSize(9)
      .fillColor('black')
      .text(value, factsX + 95, right, { width: CONTENT_WIDTH - 290 - 95, align: 'right' });
    right = doc.y + 2;
  }

  // Lines.
  y = Math.max(left, right) + 24;
  y = drawTableHeader(doc, y, invoice);
  for (const line of invoice.lines) {
    const cells: Record<Column['key'], string> = {
      description: line.discount_percent
        ? `${line.description} (-${percent(line.discount_percent)})`
        : line.description,
      quantity: String(line.quantity),
      unit_price: amount(line.unit_price, currency),
      discount: line.discount ? amount(line.discount, currency) : '',
      vat_percent: percent(line.vat_percent),
      excl_vat: amount(line.excl_vat, currency),
      vat: amount(line.vat, currency),
      incl_vat: amount(line.incl_vat, currency),
    };
    doc.font('Helvetica').fontSize(9);
    const height = Math.max(...COLUMNS.map((c) => doc.heightOfString(cells[c.key], { width: c.width - 4 }))) + 6;
    if (y + height > BOTTOM) {
      doc.addPage();
      y = drawTableHeader(doc, MARGIN, invoice);
    }
    let x = MARGIN;
    for (const column of COLUMNS) {
      doc
        .font('Helvetica')
        .fontSize(9)
        .fillColor('black')
        .text(cells[column.key], x + 2, y + 3, { width: column.width - 4, align: column.align });
      x += column.width;
    }
    y += height;
    doc
      .moveTo(MARGIN, y)
      .lineTo(MARGIN + CONTENT_WIDTH, y)
      .strokeColor(RULE)
      .lineWidth(0.5)
      .stroke();
  }
  if (invoice.lines.length === 0) {
    doc
      .font('Helvetica')
      .fontSize(9)
      .fillColor(GREY)
      .text('No lines', MARGIN + 2, y + 3);
    y = doc.y + 3;
  }

  // Totals, with the VAT per rate.
  const totals: { label: string; value: string; bold?: boolean }[] = [];
  if (invoice.totals.discount)
    totals.push({
      label: `Discounts (${invoice.prices_include_vat ? 'incl.' : 'excl.'} VAT)`,
      value: money(-invoice.totals.discount, currency),
    });
  totals.push({ label: 'Total excl. VAT', value: money(invoice.totals.excl_vat, currency) });
  for (const row of invoice.vat_summary) {
    totals.push({
      label: `VAT ${percent(row.vat_percent)} of ${amount(row.base, currency)}`,
      value: money(row.amount, currency),
    });
  }
  totals.push({ label: 'Total VAT', value: money(invoice.totals.vat, currency) });
  totals.push({ label: finalAmountLabel(invoice), value: money(invoice.totals.incl_vat, currency), bold: true });
  y += 12;
  if (y + totals.length * 14 + 80 > BOTTOM) {
    doc.addPage();
    y = MARGIN;
  }
  const totalsX = MARGIN + CONTENT_WIDTH - 260;
  for (const row of totals) {
    if (row.bold) {
      doc
        .moveTo(totalsX, y)
        .lineTo(MARGIN + CONTENT_WIDTH, y)
        .strokeColor('black')
        .lineWidth(0.8)
        .stroke();
      y += 4;
    }
    const font = row.bold ? 'Helvetica-Bold' : 'Helvetica';
    doc
      .font(font)
      .fontSize(row.bold ? 11 : 9)
      .fillColor('black')
      .text(row.label, totalsX, y, { width: 160 });
    doc
      .font(font)
      .fontSize(row.bold ? 11 : 9)
      .text(row.value, totalsX + 160, y, { width: 100, align: 'right' });
    y = doc.y + 3;
  }
  if (invoice.exchange_rate && invoice.base_currency !== currency) {
    doc
      .font('Helvetica')
      .fontSize(8)
      .fillColor(GREY)
      .text(
        `Amounts in ${currency.toUpperCase()}, converted from ` +
          `${invoice.base_currency.toUpperCase()} at 1 ${invoice.base_currency.toUpperCase()} = ` +
          `${invoice.exchange_rate} ${currency.toUpperCase()}.`,
        MARGIN,
        y + 4,
        { width: CONTENT_WIDTH, align: 'right' },
      );
    y = doc.y;
  }

  // How to pay (invoices) or what was credited.
  y += 20;
  const notes: string[] = [];
  if (invoice.type === 'invoice') {
    const payTo = seller.bank_account ? ` to account ${seller.bank_account}` : '';
    const due = invoice.due_date ? ` by ${invoice.due_date}` : '';
    notes.push(`Please pay ${money(invoice.totals.incl_vat, currency)}${payTo}${due}.`);
    if (invoice.payment_reference) notes.push(`Payment reference: ${invoice.payment_reference}`);
  } else if (invoice.type === 'receipt') {
    notes.push('Paid in full. Thank you!');
  } else if (invoice.credits) {
    notes.push(`This credit note credits invoice ${invoice.credits.number}.`);
  }
  doc.font('Helvetica').fontSize(10).fillColor('black');
  for (const note of notes) {
    doc.text(note, MARGIN, y, { width: CONTENT_WIDTH });
    y = doc.y + 2;
  }
}

function drawTableHeader(doc: PDFKit.PDFDocument, y: number, invoice: InvoiceDocument): number {
  doc
    .font('Helvetica')
    .fontSize(8)
    .fillColor(GREY)
    .text(
      `Amounts in ${invoice.currency.toUpperCase()}; unit prices and discounts ` +
        `${invoice.prices_include_vat ? 'incl.' : 'excl.'} VAT`,
      MARGIN,
      y,
      { width: CONTENT_WIDTH },
    );
  y = doc.y + 4;
  let x = MARGIN;
  doc.rect(MARGIN, y, CONTENT_WIDTH, 16).fillColor('#f0f0f0').fill();
  for (const column of COLUMNS) {
    doc
      .font('Helvetica-Bold')
      .fontSize(8)
      .fillColor('black')
      .text(column.label, x + 2, y + 4, { width: column.width - 4, align: column.align });
    x += column.width;
  }
  return y + 16;
}

function drawFooters(doc: PDFKit.PDFDocument, invoice: InvoiceDocument): void {
  const { seller } = invoice;
  const footer = [
    seller.legal_name ?? seller.name,
    seller.org_number ? `Org. no. ${seller.org_number}` : null,
    seller.vat_number ? `VAT no. ${seller.vat_number}` : null,
    seller.bank_account ? `Account ${seller.bank_account}` : null,
  ]
    .filter(Boolean)
    .join('  ·  ');
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i += 1) {
    doc.switchToPage(i);
    // Writing inside the bottom margin must not trigger pdfkit's automatic page break.
    const bottomMargin = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc
      .font('Helvetica')
      .fontSize(7)
      .fillColor(GREY)
      .text(
        `${footer}  ·  ${documentTitle(invoice)} ${invoice.number}  ·  Page ${i - range.start + 1} of ${range.count}`,
        MARGIN,
        PAGE_HEIGHT - MARGIN,
        { width: CONTENT_WIDTH, align: 'center', lineBreak: false },
      );
    doc.page.margins.bottom = bottomMargin;
  }
}
