/**
 * @module queue/consumer
 * The jobs queue's consumer; a batch may mix every kind of job (queue/jobs.ts).
 * - `apply` and due `retry-later` jobs are applied through the same code as a live delivery
 *   (webhooks/apply.ts), all of them in one transaction (one database round trip for the batch), so a
 *   job and a sender's redelivery of the same event meet the same ledger guard and exactly one
 *   applies. A retry-later job's event is first looked up in the ledger (queue/retry-later.ts: one
 *   select for the batch): one no longer deferred is done, one not due yet is a spare (acked: the
 *   row's own job or the cron sweep runs it). `replay`
 *   jobs (an operator's bulk replay) are applied with them the same way (queue/replay.ts), minus the
 *   waiting: a processed or ignored event is a duplicate, a deferred one is made due.
 * - `notify` jobs send their outbox rows (queue/notify.ts), one after the other.
 * - `stripe-backfill` and `clerk-reconcile` jobs each run one page of a recovery an operator started
 *   (admin/recovery/consume.ts), one after the other.
 * Each message is settled explicitly: acked once applied (or recorded failed, or deferred again, or a
 * duplicate, or a replayed nonce), or when it can never be read; retried with backoff while the
 * database is unavailable, never acked then. After its last retry Queues moves it to the dead-letter
 * queue (queue/dead-letters.ts).
 */
import { consumeRecoveries, type RecoveryItem } from "../admin/recovery/consume";
import { describeError } from "../log";
import { type Applied, applyDeliveries, type VerifiedDelivery } from "../webhooks/apply";
import { backoffSeconds } from "./backoff";
import { JOBS_QUEUE, maxRetries } from "./config";
import type { ApplyJob, NotifyJob, ReplayJob, RetryLaterJob } from "./jobs";
import { dropUnreadable, type QueueMessage, queuedLine } from "./message";
import { consumeNotifications } from "./notify";
import { readJob } from "./read-job";
import { type ReplayItem, replaysToRun } from "./replay";
import { dueRetries, type RetryLaterItem } from "./retry-later";

/** A job to apply with the batch's others. */
interface ToApply {
	message: QueueMessage;
	job: ApplyJob | RetryLaterJob | ReplayJob;
	delivery: VerifiedDelivery;
}

/** Runs the jobs of one batch; settles every message. Throws only on a bug (queue() retries what is left). */
export async function consumeJobs(messages: QueueMessage[], env: Env): Promise<void> {
	const started = Date.now();
	const toApply: ToApply[] = [];
	const retries: RetryLaterItem[] = [];
	const replays: ReplayItem[] = [];
	const notifications: { message: QueueMessage; job: NotifyJob }[] = [];
	const recoveries: RecoveryItem[] = [];
	for (const message of messages) {
		const read = readJob(message.body, env);
		if (!read.ok) dropUnreadable(message, JOBS_QUEUE, read);
		else if ("delivery" in read) toApply.push({ message, job: read.job, delivery: read.delivery });
		else if ("provider" in read) {
			if (read.job.kind === "replay") replays.push({ message, job: read.job, provider: read.provider });
			else retries.push({ message, job: read.job, provider: read.provider });
		} else if (read.job.kind === "notify") notifications.push({ message, job: read.job });
		else recoveries.push({ message, job: read.job });
	}
	toApply.push(...(await dueRetries(retries, env, started)));
	toApply.push(...(await replaysToRun(replays, env, started)));
	if (toApply.length > 0) {
		const applied = await applyDeliveries(
			toApply.map((j) => j.delivery),
			env,
		);
		for (const [i, { message, job }] of toApply.entries()) settle(message, job, applied[i] as Applied, started);
	}
	await consumeNotifications(notifications, env);
	await consumeRecoveries(recoveries, env);
}

function settle(
	message: QueueMessage,
	job: ApplyJob | RetryLaterJob | ReplayJob,
	applied: Applied,
	started: number,
): void {
	const line = (level: Parameters<typeof queuedLine>[0], fields: Record<string, unknown>) =>
		queuedLine(level, "queue", job, message, started, fields);
	const jobEventId = job.kind === "apply" ? (job.deliveryId ?? null) : job.eventId;
	if (applied.ok) {
		for (const event of applied.events)
			line(event.level, {
				event_type: event.eventType,
				event_id: event.eventId,
				outcome: event.outcome,
				...event.fields,
			});
		if (applied.events.length === 0)
			line("info", { event_type: null, event_id: jobEventId, outcome: "ignored", reason: "no_events" });
		message.ack();
		return;
	}
	if (applied.replayed) {
		// Both were queued while the database was down, so the nonce could not be checked on arrival:
		// which of the two applied is only their order in the queue. A person must look (the event
		// recorded under this nonce, and this job's body in the log's request id).
		line("error", {
			event_type: null,
			event_id: jobEventId,
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
		event_id: jobEventId,
		outcome: last ? "dead_letter" : "retry",
		reason: "database_unavailable",
		...(last ? {} : { delay_seconds: delaySeconds }),
		...describeError(applied.transient),
	});
	message.retry({ delaySeconds });
}
