/**
 * @module queue
 * The Worker's `queue()` handler: one Worker consumes both queues, told apart by name (wrangler.toml,
 * queue/config.ts). It never throws, since a throw would retry the whole batch, acked messages
 * included: a message that something unexpected left unsettled is retried with backoff, and a batch
 * from a queue this code does not know is retried the same way (the configuration is wrong, nothing
 * about the messages is).
 */
import { describeError, log } from "../log";
import { backoffSeconds } from "./backoff";
import { DEAD_LETTER_QUEUE, JOBS_QUEUE } from "./config";
import { consumeJobs } from "./consumer";
import { consumeDeadLetters } from "./dead-letters";
import type { Job } from "./jobs";
import { type QueueMessage, settling } from "./message";

const consumers: Record<string, (messages: QueueMessage[], env: Env) => Promise<void>> = {
	[JOBS_QUEUE]: consumeJobs,
	[DEAD_LETTER_QUEUE]: consumeDeadLetters,
};

export async function queue(batch: MessageBatch<Job>, env: Env, _ctx: ExecutionContext): Promise<void> {
	const settled = new Set<string>();
	const messages = settling(batch, settled);
	const consume = Object.hasOwn(consumers, batch.queue) ? consumers[batch.queue] : undefined;
	try {
		if (!consume) {
			log("error", "queue", {
				queue: batch.queue,
				outcome: "retry",
				reason: "unknown_queue",
				detail: `this Worker consumes ${Object.keys(consumers).join(" and ")} (src/queue/config.ts, wrangler.toml)`,
				messages: messages.length,
			});
		} else {
			await consume(messages, env);
		}
	} catch (error) {
		log("error", "queue", { queue: batch.queue, outcome: "retry", reason: "internal_error", ...describeError(error) });
	}
	for (const message of messages)
		if (!settled.has(message.id)) message.retry({ delaySeconds: backoffSeconds(message.attempts) });
}
