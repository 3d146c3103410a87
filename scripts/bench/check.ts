// After the run: did every order the API accepted reach `completed` exactly once, and did any
// order appear that the API never acknowledged? Direct DB query when the database URL is known,
// else GET /v1/orders/{id} for each.
import pg from 'pg';
import type { LoadResult, LoadTarget } from './load';

export interface IntegrityReport {
  source: 'database' | 'api';
  byStatus: Record<string, number>;
  acknowledged: number;
  /** Acknowledged (201) but not completed (or not found). */
  lost: number;
  lostIds: string[];
  /** Rows of this run the client never got a 201 for (e.g. the answer timed out). */
  unacknowledged: number;
  /** More than one order row for one request, or an order completed/documented/emailed twice. */
  duplicated: number;
  duplicateDetail: string[];
}

export async function checkIntegrity(
  target: LoadTarget,
  databaseUrl: string | undefined,
  tag: string,
  load: LoadResult,
  expectStatus = 'completed',
): Promise<IntegrityReport> {
  const acknowledged = load.outcomes.filter((o) => o.createdOk && o.id).map((o) => o.id!);
  const ackSet = new Set(acknowledged);
  const report: IntegrityReport = {
    source: databaseUrl ? 'database' : 'api',
    byStatus: {},
    acknowledged: acknowledged.length,
    lost: 0,
    lostIds: [],
    unacknowledged: 0,
    duplicated: 0,
    duplicateDetail: [],
  };
  if (databaseUrl) {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{
        id: string;
        status: string;
        booker_email: string;
        completed_events: string;
        documents: string;
        receipt_mails: string;
      }>(
        `SELECT o.id, o.status, o.booker_email,
           (SELECT count(*) FROM order_events e WHERE e.order_id = o.id ` +
          `AND e.event_key = 'completed') AS completed_events,
           (SELECT count(*) FROM invoices i WHERE i.order_id = o.id AND i.kind IN ('receipt', 'invoice')) AS documents,
           (SELECT count(*) FROM email_outbox m WHERE m.order_id = o.id AND m.kind = 'receipt') AS receipt_mails
         FROM orders o WHERE o.booker_email LIKE $1`,
        [`${tag}-%`],
      );
      const perEmail = new Map<string, number>();
      const seen = new Map<string, string>();
      for (const row of rows) {
        report.byStatus[row.status] = (report.byStatus[row.status] ?? 0) + 1;
        perEmail.set(row.booker_email, (perEmail.get(row.booker_email) ?? 0) + 1);
        seen.set(row.id, row.status);
        if (!ackSet.has(row.id)) report.unacknowledged += 1;
        if (expectStatus === 'completed') {
          for (const [what, count] of [
            ['completed events', row.completed_events],
            ['documents', row.documents],
            ['receipt emails', row.receipt_mails],
          ] as const) {
            if (Number(count) > 1) {
              report.duplicated += 1;
              report.duplicateDetail.push(`${row.id}: ${count} ${what}`);
            }
          }
        }
      }
      for (const [email, count] of perEmail) {
        if (count > 1) {
          report.duplicated += count - 1;
          report.duplicateDetail.push(`${email}: ${count} orders for one request`);
        }
      }
      for (const id of acknowledged) {
        if (seen.get(id) !== expectStatus) {
          report.lost += 1;
          report.lostIds.push(`${id} (${seen.get(id) ?? 'missing'})`);
        }
      }
    } finally {
      await client.end();
    }
    return report;
  }
  // No database URL: ask the API about every acknowledged order (cannot see unacknowledged rows).
  for (const id of acknowledged) {
    const response = await fetch(`${target.apiUrl}/v1/orders/${id}`, { headers: { 'X-API-Key': target.apiKey } });
    const status = response.ok ? ((await response.json()) as { status: string }).status : `http_${response.status}`;
    report.byStatus[status] = (report.byStatus[status] ?? 0) + 1;
    if (status !== expectStatus) {
      report.lost += 1;
      report.lostIds.push(`${id} (${status})`);
    }
  }
  return report;
}
