/**
 * @module queue/dead-letters
 * The dead-letter queue's consumer: jobs whose retries ran out (the database stayed unavailable, or
 * the consumer kept failing). Their events are not applied here; they are recorded in the ledger
 * (webhooks/apply.ts recordDeadLetters, one transaction for the batch): an event that would have
 * changed the shop's data as `dead`, with the last error and its payload, and one log line at level
 * `error` with `alert: "webhook_dead"` says which. A sender's redelivery, or a replay, of a `dead`
 * event runs it again. While the database is still unavailable each message is retried with backoff;
 * after the last of those retries Queues deletes it, so that attempt raises the alert unrecorded.
 * A dead `retry-later` or `notify` job was only a wake-up call for a row (a deferred event, a pending
 * notification): it is logged and acked, the row stays as it is, and the cron sweep (queue/sweep.ts)
 * enqueues a new job for it once it is overdue. A dead recovery job (a page of a Stripe backfill or a
 * Clerk reconcile) ends its run `failed` (admin/recovery/consume.ts).
 */
import { type RecoveryItem, recoveriesGaveUp } from "../admin/recovery/consume";
import { describeError, log, logCode } from "../log";
import { type DeadLetterEvent, type DeadLettersRecorded, ledgerAlerts, recordDeadLetters } from "../webhooks/apply";
import { backoffSeconds } from "./backoff";
import { DEAD_LETTER_QUEUE, JOBS_QUEUE, maxRetries } from "./config";
import type { ApplyJob, NotifyJob, ReplayJob, RetryLaterJob } from "./jobs";
import { dropUnreadable, type QueueMessage, queuedLine } from "./message";
import { readJob } from "./read-job";

/** The ledger's `last_error` of a dead event. */
export const deadError = `database unavailable: queue retries exhausted after ${maxRetries[JOBS_QUEUE] + 1} attempts`;

/** Records the dead letters of one batch; settles every message. Throws only on a bug (queue() retries what is left). */
export async function consumeDeadLetters(messages: QueueMessage[], env: Env): Promise<void> {
	const started = Date.now();
	const jobs: { message: QueueMessage; job: ApplyJob; delivery: Parameters<typeof recordDeadLetters>[0][number] }[] =
		[];
	const recoveries: RecoveryItem[] = [];
	for (const message of messages) {
		const read = readJob(message.body, env);
		if (!read.ok) dropUnreadable(message, DEAD_LETTER_QUEUE, read);
		else if ("delivery" in read) jobs.push({ message, job: read.job, delivery: read.delivery });
		else if (read.job.kind === "stripe-backfill" || read.job.kind === "clerk-reconcile")
			recoveries.push({ message, job: read.job });
		else deadWakeUp(message, read.job);
	}
	await recoveriesGaveUp(recoveries, env);
	if (jobs.length === 0) return;
	const recorded = await recordDeadLetters(
		jobs.map((j) => j.delivery),
		env,
		deadError,
	);
	for (const [i, { message, job }] of jobs.entries()) settle(message, job, recorded[i] as DeadLettersRecorded, started);
}

/**
 * A dead `retry-later` or `notify` job: its row is the truth and the sweep wakes it again. A dead
 * `replay` job leaves its event as it was: the operator replays it again.
 */
function deadWakeUp(message: QueueMessage, job: RetryLaterJob | ReplayJob | NotifyJob): void {
	log("warn", "job", {
		queue: DEAD_LETTER_QUEUE,
		job: job.kind,
		...(job.kind === "notify"
			? { notification_id: job.notificationId }
			: { provider: job.provider, event_id: logCode("id", job.eventId) }),
		outcome: "dropped",
		reason: "retries_exhausted",
		recovery: job.kind === "replay" ? "replay again" : "cron sweep",
		message_id: message.id,
		queue_attempt: message.attempts,
	});
	message.ack();
}

function settle(message: QueueMessage, job: ApplyJob, recorded: DeadLettersRecorded, started: number): void {
	const line = (level: Parameters<typeof queuedLine>[0], fields: Record<string, unknown>) =>
		queuedLine(level, "dead_letters", job, message, started, fields);
	if (recorded.ok) {
		for (const event of recorded.events) eventLine(line, event);
		if (recorded.events.length === 0)
			line("info", { event_type: null, event_id: job.deliveryId ?? null, outcome: "ignored", reason: "no_events" });
		message.ack();
		return;
	}
	const delaySeconds = backoffSeconds(message.attempts);
	if (message.attempts > maxRetries[DEAD_LETTER_QUEUE]) {
		// Queues deletes the message after this attempt: the event is lost unless its sender resends it.
		for (const event of recorded.events)
			line("error", {
				event_type: event.eventType,
				event_id: event.eventId,
				outcome: "dead",
				alert: ledgerAlerts.dead,
				recorded: false,
				reason: "database unavailable: the dead letter's retries ran out too; ask the sender to resend the event",
				...describeError(recorded.transient),
			});
	} else {
		line("warn", {
			event_type: null,
			event_id: job.deliveryId ?? null,
			outcome: "retry",
			reason: "database_unavailable",
			delay_seconds: delaySeconds,
			...describeError(recorded.transient),
		});
	}
	message.retry({ delaySeconds });
}

function eventLine(
	line: (level: "info" | "warn" | "error", fields: Record<string, unknown>) => void,
	event: DeadLetterEvent,
) {
	const about = { event_type: event.eventType, event_id: event.eventId };
	const attempt = event.attempts !== undefined && event.attempts > 1 ? { attempt: event.attempts } : {};
	switch (event.outcome) {
		case "dead":
			return line("error", {
				...about,
				outcome: "dead",
				alert: ledgerAlerts.dead,
				recorded: true,
				reason: deadError,
				...attempt,
			});
		case "refused":
			return line("error", {
				...about,
				outcome: "dead",
				alert: ledgerAlerts.dead,
				recorded: false,
				reason: event.reason,
			});
		case "failed":
			return line("error", {
				...about,
				outcome: "failed",
				alert: ledgerAlerts.failed,
				reason: event.reason,
				...attempt,
			});
		case "ignored":
		case "duplicate":
			return line("info", { ...about, outcome: event.outcome, ...attempt });
	}
}
