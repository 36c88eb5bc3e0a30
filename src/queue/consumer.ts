/**
 * @module queue/consumer
 * The jobs queue's consumer. Every `apply` job of the batch is applied through the same code as a
 * live delivery (webhooks/apply.ts), all of them in one transaction (one database round trip for the
 * batch), so a job and a sender's redelivery of the same event meet the same ledger guard and
 * exactly one applies. Each message is settled explicitly: acked once applied (or recorded failed,
 * or a duplicate, or a replayed nonce), or when it can never be read; retried with backoff while the
 * database is unavailable, never acked then. After its last retry Queues moves it to the dead-letter
 * queue (queue/dead-letters.ts).
 */
import { describeError } from "../log";
import { type Applied, applyDeliveries } from "../webhooks/apply";
import { backoffSeconds } from "./backoff";
import { JOBS_QUEUE, maxRetries } from "./config";
import type { ApplyJob } from "./jobs";
import { dropUnreadable, type QueueMessage, queuedLine } from "./message";
import { readJob } from "./read-job";

/** Applies the jobs of one batch; settles every message. Throws only on a bug (queue() retries what is left). */
export async function consumeJobs(messages: QueueMessage[], env: Env): Promise<void> {
	const started = Date.now();
	const jobs: { message: QueueMessage; job: ApplyJob; delivery: Parameters<typeof applyDeliveries>[0][number] }[] = [];
	for (const message of messages) {
		const read = readJob(message.body, env);
		if (read.ok) jobs.push({ message, job: read.job, delivery: read.delivery });
		else dropUnreadable(message, JOBS_QUEUE, read);
	}
	if (jobs.length === 0) return;
	const applied = await applyDeliveries(
		jobs.map((j) => j.delivery),
		env,
	);
	for (const [i, { message, job }] of jobs.entries()) settle(message, job, applied[i] as Applied, started);
}

function settle(message: QueueMessage, job: ApplyJob, applied: Applied, started: number): void {
	const line = (level: Parameters<typeof queuedLine>[0], fields: Record<string, unknown>) =>
		queuedLine(level, "queue", job, message, started, fields);
	if (applied.ok) {
		for (const event of applied.events)
			line(event.level, {
				event_type: event.eventType,
				event_id: event.eventId,
				outcome: event.outcome,
				...event.fields,
			});
		if (applied.events.length === 0)
			line("info", { event_type: null, event_id: job.deliveryId ?? null, outcome: "ignored", reason: "no_events" });
		message.ack();
		return;
	}
	if (applied.replayed) {
		// Both were queued while the database was down, so the nonce could not be checked on arrival:
		// which of the two applied is only their order in the queue. A person must look (the event
		// recorded under this nonce, and this job's body in the log's request id).
		line("error", {
			event_type: null,
			event_id: job.deliveryId ?? null,
			outcome: "rejected",
			reason: "replayed_signature",
			detail: "nonce seen before",
			alert: "queued_replay_refused",
		});
		message.ack();
		return;
	}
	const delaySeconds = backoffSeconds(message.attempts);
	// after the last retry, Queues moves the message to the dead-letter queue instead
	const last = message.attempts > maxRetries[JOBS_QUEUE];
	line("warn", {
		event_type: null,
		event_id: job.deliveryId ?? null,
		outcome: last ? "dead_letter" : "retry",
		reason: "database_unavailable",
		...(last ? {} : { delay_seconds: delaySeconds }),
		...describeError(applied.transient),
	});
	message.retry({ delaySeconds });
}
