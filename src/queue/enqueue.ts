/**
 * @module queue/enqueue
 * Puts work on the jobs queue (binding JOBS); the consumer is queue/consumer.ts.
 * - `enqueueApply`: a verified delivery, when the database cannot take it now. The message must fit
 *   the queue's limit (128 KB, Cloudflare Queues); a larger one, an unbound queue or a failed send is
 *   reported, and the caller answers 503 so that the sender retries.
 * - `enqueueJobs`: wake-up calls for rows already committed (a deferred event's `retry-later`, an
 *   outbox row's `notify`), each with its own delay. A failure is reported and loses nothing: the row
 *   is the truth, and the cron sweep (queue/sweep.ts) re-enqueues what is overdue.
 */
import type { Verified, WebhookProvider } from "../webhooks/provider";
import { MAX_DELAY_SECONDS } from "./backoff";
import type { ApplyJob, Job } from "./jobs";

/**
 * Cloudflare Queues' message size limit: 128 KB, where "1 KB is measured as 1000 bytes", including
 * up to ~100 bytes of the queue's own metadata (https://developers.cloudflare.com/queues/platform/limits/;
 * miniflare refuses a message over 128,000 bytes too).
 */
export const MAX_MESSAGE_BYTES = 128_000;
/** What a job's JSON may take: the limit less room for the queue's metadata. */
export const MAX_JOB_BYTES = MAX_MESSAGE_BYTES - 1_000;

export type EnqueueResult = { ok: true } | { ok: false; reason: "no_queue" | "too_large" | "send_failed" };

export async function enqueueApply(
	env: Env,
	provider: WebhookProvider,
	body: string,
	verified: Verified,
	requestId: string,
): Promise<EnqueueResult> {
	// bound in wrangler.toml; a Worker deployed without the binding answers 503 as before the queue
	const queue: Queue<ApplyJob> | undefined = env.JOBS;
	if (!queue) return { ok: false, reason: "no_queue" };
	const job: ApplyJob = {
		kind: "apply",
		provider: provider.name,
		body,
		...(verified.deliveryId === undefined ? {} : { deliveryId: verified.deliveryId }),
		...(verified.sentAt === undefined ? {} : { sentAt: verified.sentAt }),
		...(verified.nonce === undefined ? {} : { nonce: verified.nonce }),
		receivedAt: Date.now(),
		requestId,
	};
	// the message is the job's JSON text (contentType "json")
	if (new TextEncoder().encode(JSON.stringify(job)).byteLength > MAX_JOB_BYTES)
		return { ok: false, reason: "too_large" };
	try {
		await queue.send(job, { contentType: "json" });
		return { ok: true };
	} catch {
		return { ok: false, reason: "send_failed" };
	}
}

/** A job to send, and how long the queue holds it back (seconds, 0 to MAX_DELAY_SECONDS: 12 h). */
export interface DelayedJob {
	job: Job;
	delaySeconds: number;
}

/** Cloudflare Queues take at most 100 messages in one sendBatch (https://developers.cloudflare.com/queues/platform/limits/). */
export const MAX_BATCH_MESSAGES = 100;

export type JobsEnqueued = { ok: true } | { ok: false; reason: "no_queue" | "send_failed"; error?: unknown };

/**
 * Sends `jobs` with sendBatch, in chunks of 100, each message with its own delay (a whole number of
 * seconds within what Queues accepts). Never throws.
 */
export async function enqueueJobs(env: Env, jobs: DelayedJob[]): Promise<JobsEnqueued> {
	if (jobs.length === 0) return { ok: true };
	const queue: Queue<Job> | undefined = env.JOBS;
	if (!queue) return { ok: false, reason: "no_queue" };
	const messages = jobs.map(({ job, delaySeconds }) => ({
		body: job,
		contentType: "json" as const,
		delaySeconds: Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(Number.isFinite(delaySeconds) ? delaySeconds : 0))),
	}));
	try {
		for (let at = 0; at < messages.length; at += MAX_BATCH_MESSAGES)
			await queue.sendBatch(messages.slice(at, at + MAX_BATCH_MESSAGES));
		return { ok: true };
	} catch (error) {
		return { ok: false, reason: "send_failed", error };
	}
}
