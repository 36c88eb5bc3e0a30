/**
 * @module queue/message
 * What the consumers share: the messages they settle (each one acked or retried exactly once, so that
 * `queue()` knows which are left when something unexpected happens), the log line of a job that
 * cannot be read, and the fields every line about a queued delivery carries.
 */
import { describeError, type LogLevel, log, logCode } from "../log";
import { backoffSeconds } from "./backoff";
import type { ApplyJob, ReplayJob, RetryLaterJob } from "./jobs";
import type { ReadJob } from "./read-job";

/** A message of the batch, as the consumers use it. */
export type QueueMessage = Pick<Message<unknown>, "id" | "body" | "attempts" | "ack" | "retry">;

/** The batch's messages, recording in `settled` each one acked or retried. */
export function settling(batch: MessageBatch<unknown>, settled: Set<string>): QueueMessage[] {
	return batch.messages.map((message) => ({
		id: message.id,
		body: message.body,
		attempts: message.attempts,
		ack: () => {
			settled.add(message.id);
			message.ack();
		},
		retry: (options) => {
			settled.add(message.id);
			message.retry(options);
		},
	}));
}

/**
 * Retries `message` because the database could not be reached: after a backoff drawn for its
 * attempt (queue/backoff.ts) plus `extraSeconds`, with one `warn` line written by `line`
 * (`outcome: "retry"`, `reason: "database_unavailable"`, `delay_seconds`, the error's class).
 */
export function retryWhileUnavailable(
	message: QueueMessage,
	error: unknown,
	line: (level: LogLevel, fields: Record<string, unknown>) => void,
	{
		extraSeconds = 0,
		level = "warn",
		fields = {},
	}: { extraSeconds?: number; level?: LogLevel; fields?: Record<string, unknown> } = {},
): void {
	const delaySeconds = extraSeconds + backoffSeconds(message.attempts);
	line(level, {
		...fields,
		outcome: "retry",
		reason: "database_unavailable",
		delay_seconds: delaySeconds,
		...describeError(error),
	});
	message.retry({ delaySeconds });
}

/** Logs a message that can never be read (at `error`: a bug or a hand-written message) and acks it. */
export function dropUnreadable(
	message: QueueMessage,
	queue: string,
	unreadable: Extract<ReadJob, { ok: false }>,
): void {
	const body = message.body as { provider?: unknown; requestId?: unknown } | null;
	log("error", "job", {
		queue,
		outcome: "dropped",
		reason: unreadable.reason,
		detail: unreadable.detail,
		message_id: message.id,
		queue_attempt: message.attempts,
		// the provider's name and the request id as the job gives them, when they look like codes
		provider: logCode("id", typeof body?.provider === "string" ? body.provider : null),
		request_id: logCode("id", typeof body?.requestId === "string" ? body.requestId : null),
	});
	message.ack();
}

/**
 * Writes one `webhook` line about a queued delivery: receive.ts's fields, with `via` and
 * `queue_attempt`, without `status`. A `retry-later` job (a deferred event run again) or a `replay` job
 * (an operator's bulk replay) says so in `job`; it has no request of its own.
 */
export function queuedLine(
	level: LogLevel,
	via: "queue" | "dead_letters",
	job: ApplyJob | RetryLaterJob | ReplayJob,
	message: QueueMessage,
	started: number,
	fields: Record<string, unknown>,
): void {
	const now = Date.now();
	log(level, "webhook", {
		provider: job.provider,
		...fields,
		via,
		...(job.kind === "apply" ? {} : { job: job.kind }),
		queue_attempt: message.attempts,
		...(job.kind === "apply" ? { queued_ms: now - job.receivedAt } : {}),
		duration_ms: now - started,
		...(job.kind === "apply" ? { request_id: job.requestId } : {}),
	});
}
