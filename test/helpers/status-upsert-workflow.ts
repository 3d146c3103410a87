// A workflow that only moves a status search attribute on, one workflow task per step, as an
// order does: bundled by test/integration/temporal-dev-server.test.ts to watch what the server
// reads for each upsert.
import { sleep, upsertSearchAttributes } from '@temporalio/workflow';
import { OrderStatusKey } from '../../workflows/search-attributes';

export async function statusUpserts(steps: number): Promise<void> {
  for (let step = 0; step < steps; step++) {
    upsertSearchAttributes([{ key: OrderStatusKey, value: `step-${step}` }]);
    await sleep(1);
  }
}
