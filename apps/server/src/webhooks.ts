import type { EventBus, Logger, Store } from '@aperture/core';
import { viewRun } from '@aperture/core';

const ATTEMPTS = 3;
const TIMEOUT_MS = 5_000;

/**
 * POST the finished run to its webhook URL, as Judge0 does: three tries with back-off, five
 * seconds each. Delivery state is recorded on the run, so operators can see what never arrived.
 */
export function startWebhookDelivery(
  events: EventBus,
  store: Store,
  logger: Logger,
  now: () => Date,
): () => void {
  return events.subscribeAll((event) => {
    if (event.type !== 'run.completed' || !event.run.webhookUrl) return;
    const run = event.run;
    const body = JSON.stringify(viewRun(run, undefined, { isStaff: false, now: now() }));
    void deliver(run.webhookUrl!, body)
      .then((ok) => store.runs.setWebhookStatus(run.id, ok ? 'delivered' : 'failed'))
      .then(() => logger.info({ runId: run.id }, 'webhook delivered'))
      .catch((error) => logger.warn({ runId: run.id, err: error }, 'webhook bookkeeping failed'));
  });
}

async function deliver(url: string, body: string): Promise<boolean> {
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'aperture-webhook/1' },
        body,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      if (response.ok) return true;
    } catch {
      // Network error or timeout: try again after the back-off.
    }
    if (attempt < ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
  }
  return false;
}
