/**
 * wrangler.toml's queues and the code that consumes them agree: queue() tells its consumers apart by
 * the names in src/queue/config.ts, and a dead letter's `last_error` counts the jobs consumer's
 * attempts from there. Read by wrangler itself, as `wrangler deploy` reads it.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";
import { MAX_DELAY_SECONDS, retryBackoff } from "../../src/queue/backoff.ts";
import { DEAD_LETTER_QUEUE, JOBS_QUEUE, maxRetries } from "../../src/queue/config.ts";

const config = unstable_readConfig({ config: fileURLToPath(new URL("../../wrangler.toml", import.meta.url)) });
type Consumer = {
	queue: string;
	max_batch_size?: number;
	max_batch_timeout?: number;
	max_retries?: number;
	dead_letter_queue?: string;
	retry_delay?: number;
};
const consumers: Consumer[] = config.queues.consumers ?? [];
const consumer = (queue: string) => consumers.find((c) => c.queue === queue);

describe("wrangler.toml's queues", () => {
	it("JOBS produces to the jobs queue", () => {
		expect(config.queues.producers).toEqual([{ binding: "JOBS", queue: JOBS_QUEUE }]);
	});

	it("this Worker consumes exactly the two queues queue() knows", () => {
		expect(consumers.map((c) => c.queue).sort()).toEqual([DEAD_LETTER_QUEUE, JOBS_QUEUE].sort());
	});

	it("the jobs queue dead-letters into the dead-letter queue, which has none of its own", () => {
		expect(consumer(JOBS_QUEUE)?.dead_letter_queue).toBe(DEAD_LETTER_QUEUE);
		expect(consumer(DEAD_LETTER_QUEUE)?.dead_letter_queue).toBeUndefined();
	});

	it.each([JOBS_QUEUE, DEAD_LETTER_QUEUE])(
		"%s: max_retries as src/queue/config.ts says, within Queues' limits",
		(queue) => {
			const settings = consumer(queue);
			expect(settings?.max_retries).toBe(maxRetries[queue as keyof typeof maxRetries]);
			expect(settings?.max_retries).toBeLessThanOrEqual(100);
			expect(settings?.max_batch_size).toBeGreaterThanOrEqual(1);
			expect(settings?.max_batch_size).toBeLessThanOrEqual(100);
			expect(settings?.max_batch_timeout).toBeLessThanOrEqual(60);
			// the consumer chooses each retry's delay itself
			expect(settings?.retry_delay).toBeUndefined();
		},
	);

	it("every retry of a job fits in the shortest message retention (24 h on the free plan)", () => {
		let worst = 0;
		for (let attempt = 1; attempt <= maxRetries[JOBS_QUEUE]; attempt++)
			worst += Math.min(retryBackoff.capSeconds, retryBackoff.baseSeconds * 2 ** (attempt - 1));
		expect(worst).toBeLessThan(24 * 60 * 60);
		expect(retryBackoff.capSeconds).toBeLessThanOrEqual(MAX_DELAY_SECONDS);
	});
});
