/**
 * @module queue/config
 * The queues as wrangler.toml declares them: `queue()` tells its consumers apart by queue name, and a
 * dead letter's log line says how many attempts its job had. Keep these equal to wrangler.toml's
 * `[[queues.consumers]]` (test/tools/wrangler-queues.test.ts checks them).
 */

/** The jobs queue (producer binding JOBS, consumer src/queue/consumer.ts). */
export const JOBS_QUEUE = "shop-webhooks-jobs";
/** Where a job goes after its last retry (consumer src/queue/dead-letters.ts). */
export const DEAD_LETTER_QUEUE = "shop-webhooks-dead-letters";

/** wrangler.toml's `max_retries` for each consumer: a message is delivered at most this + 1 times. */
export const maxRetries = {
	[JOBS_QUEUE]: 30,
	[DEAD_LETTER_QUEUE]: 100,
} as const;
