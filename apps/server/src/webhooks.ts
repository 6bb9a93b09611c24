import type { EventBus, Logger, Store, WebhookTargetPolicy } from '@aperture/core';
import { viewRun } from '@aperture/core';
import type { ServerConfig } from './config.ts';
import {
  OutboundClient,
  OutboundError,
  OutboundPolicy,
  OutboundRefusedError,
  type Refusal,
  type Resolver,
} from './outbound/index.ts';

const ATTEMPTS = 3;
/** Per try, DNS to the last byte of the answer. */
const TIMEOUT_MS = 5_000;

/** What a refusal tells the person who can change it. */
const ALLOW_HINT = 'an admin can allow it with webhookAllowList / APERTURE_WEBHOOK_ALLOW_LIST';
const DISABLED =
  'webhooks are turned off on this server (an admin can turn them on with webhooksEnabled / APERTURE_WEBHOOKS_ENABLED)';

export interface WebhookSettings {
  enabled: boolean;
  /** The first look, at submission; the OutboundClient applies the same policy to resolved addresses. */
  policy: OutboundPolicy;
}

export interface WebhookDelivery {
  enabled: boolean;
  client: OutboundClient;
  /** Wait before try `attempt + 1`; tests shorten it. */
  backoffMs?: (attempt: number) => number;
}

type Outcome =
  | { delivered: true }
  | { delivered: false; refused: Refusal }
  | { delivered: false; refused?: undefined; why: string };

/** The submission check and the delivery, from the two settings; `resolve` only for tests. */
export function webhooksFromConfig(
  config: Pick<ServerConfig, 'webhooksEnabled' | 'webhookAllowList'>,
  resolve?: Resolver,
): { targets: WebhookTargetPolicy; delivery: WebhookDelivery } {
  const policy = OutboundPolicy.fromConfig(config.webhookAllowList);
  const client = new OutboundClient(policy, { timeoutMs: TIMEOUT_MS, ...(resolve ? { resolve } : {}) });
  return {
    targets: webhookTargetPolicy({ enabled: config.webhooksEnabled, policy }),
    delivery: { enabled: config.webhooksEnabled, client },
  };
}

/** RunService's check when a run names a webhook: the URL alone, no DNS (delivery checks again). */
export function webhookTargetPolicy(settings: WebhookSettings): WebhookTargetPolicy {
  return {
    refusal(url) {
      if (!settings.enabled) return { reason: 'disabled', message: DISABLED };
      const refusal = settings.policy.checkUrl(url);
      return refusal && { reason: refusal.reason, message: explain(refusal) };
    },
  };
}

/**
 * POST the finished run to its webhook URL, as Judge0 does: three tries with back-off, each bounded
 * by the client's timeout. Delivery state is recorded on the run, so operators can see what never
 * arrived; the log says why.
 */
export function startWebhookDelivery(
  events: EventBus,
  store: Store,
  logger: Logger,
  now: () => Date,
  delivery: WebhookDelivery,
): () => void {
  return events.subscribeAll((event) => {
    const url = event.type === 'run.completed' ? event.run.webhookUrl : null;
    if (event.type !== 'run.completed' || !url) return;
    const run = event.run;
    const body = JSON.stringify(viewRun(run, undefined, { isStaff: false, now: now() }));
    const attempt = delivery.enabled
      ? deliver(delivery, url, body)
      : Promise.resolve<Outcome>({ delivered: false, why: DISABLED });
    void attempt
      .then(async (outcome) => {
        await store.runs.setWebhookStatus(run.id, outcome.delivered ? 'delivered' : 'failed');
        report(logger, run.id, outcome);
      })
      .catch((error) => logger.warn({ runId: run.id, err: error }, 'webhook bookkeeping failed'));
  });
}

async function deliver(delivery: WebhookDelivery, url: string, body: string): Promise<Outcome> {
  const backoffMs = delivery.backoffMs ?? ((attempt) => 500 * 2 ** attempt);
  let why = '';
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      const response = await delivery.client.send(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'aperture-webhook/1' },
        body,
      });
      if (response.status >= 200 && response.status < 300) return { delivered: true };
      // Following would reach a destination nobody checked; asking again would only redirect again.
      if (response.status >= 300 && response.status < 400) {
        return {
          delivered: false,
          why: `the receiver answered ${response.status} (redirects are not followed)`,
        };
      }
      why = `the receiver answered ${response.status}`;
    } catch (error) {
      // A refusal is the policy's answer, not bad luck: trying again cannot change it.
      if (error instanceof OutboundRefusedError) return { delivered: false, refused: error.refusal };
      // Anything else (a bug, an oddity of the network stack) still ends as a recorded failure.
      why = error instanceof OutboundError ? error.message : `delivery failed: ${(error as Error).message}`;
    }
    if (attempt < ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt)));
  }
  return { delivered: false, why: `${why} (after ${ATTEMPTS} tries)` };
}

function report(logger: Logger, runId: string, outcome: Outcome): void {
  if (outcome.delivered) logger.info({ runId }, 'webhook delivered');
  else if (outcome.refused) {
    const { reason, kind } = outcome.refused;
    logger.warn({ runId, reason, kind }, `webhook refused: ${explain(outcome.refused)}`);
  } else logger.warn({ runId }, `webhook not delivered: ${outcome.why}`);
}

function explain(refusal: Refusal): string {
  return refusal.reason === 'address' ? `${refusal.message} (${ALLOW_HINT})` : refusal.message;
}
