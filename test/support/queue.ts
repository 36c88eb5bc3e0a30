/**
 * Test helper for the job queue: runs the Worker's real `queue()` handler on a batch built with the
 * vitest plugin's createMessageBatch (inside workerd, against the test database) and collects what
 * it settled (getQueueResult), its log lines and its requests to the database endpoint; runs its real
 * `scheduled()` handler (the cron sweep); a JOBS binding that records what the Worker enqueues (and
 * each message's delay); and the bindings without a queue (the 503 path).
 */
import {
	createExecutionContext,
	createMessageBatch,
	createScheduledController,
	env,
	getQueueResult,
	type QueueResult,
} from "cloudflare:test";
import { vi } from "vitest";
import worker from "../../src/index";
import type { ApplyJob, Job, NotifyJob, RetryLaterJob } from "../../src/queue/jobs";
import { uniqueId } from "./clerk";
import { type Observed, observe } from "./deliver";

export { DEAD_LETTER_QUEUE, JOBS_QUEUE } from "../../src/queue/config";
export { observe };

/** A message of a test batch: its body, and how many times it has been delivered (1: the first time). */
export interface TestMessage {
	body: unknown;
	attempts?: number;
	id?: string;
}

export interface Consumed extends Observed<QueueResult> {
	/** The ids of the batch's messages, in order. */
	ids: string[];
	/**
	 * Each retry() call with its options. getQueueResult lists retried messages without their
	 * delaySeconds (its MessageBatch drops retry's options, @cloudflare/vitest-plugin 1.5.0).
	 */
	retried: { msgId: string; delaySeconds: number | undefined }[];
}

/** Hands `messages` to the Worker's queue() as a batch of `queue` and returns what it acked and retried. */
export async function consume(queue: string, messages: TestMessage[], bindings: Env = env): Promise<Consumed> {
	const batch = createMessageBatch<Job>(
		queue,
		messages.map((m) => ({
			id: m.id ?? uniqueId("message"),
			timestamp: new Date(),
			attempts: m.attempts ?? 1,
			body: m.body as Job,
		})),
	);
	const retried: Consumed["retried"] = [];
	for (const message of batch.messages) {
		const retry = message.retry.bind(message);
		vi.spyOn(message, "retry").mockImplementation((options) => {
			retried.push({ msgId: message.id, delaySeconds: options?.delaySeconds });
			retry(options);
		});
	}
	const observed = await observe(() => runQueue(batch, bindings));
	return { ...observed, ids: batch.messages.map((m) => m.id), retried };
}

/** Runs queue() on `batch` (without capturing anything): for tests that run it beside a fetch. */
export async function runQueue(batch: MessageBatch<Job>, bindings: Env = env): Promise<QueueResult> {
	const ctx = createExecutionContext();
	await worker.queue(batch, bindings, ctx);
	return getQueueResult(batch, ctx);
}

/**
 * The JOBS binding, recording each message as its consumer will read it (JSON), then sending it for
 * real (or failing). `delays[i]` is the delaySeconds `sent[i]` was sent with (undefined: none).
 */
export function recordingQueue(
	options: { fail?: boolean } = {},
): Queue & { sent: unknown[]; delays: (number | undefined)[] } {
	const sent: unknown[] = [];
	const delays: (number | undefined)[] = [];
	const real = env.JOBS;
	return {
		sent,
		delays,
		metrics: () => real.metrics(),
		async send(message, sendOptions) {
			if (options.fail) throw new Error("Queue send failed: simulated");
			const response = await real.send(message, sendOptions);
			sent.push(JSON.parse(JSON.stringify(message)));
			delays.push(sendOptions?.delaySeconds);
			return response;
		},
		async sendBatch(messages, sendOptions) {
			if (options.fail) throw new Error("Queue sendBatch failed: simulated");
			const list = [...messages];
			const response = await real.sendBatch(list, sendOptions);
			for (const m of list) {
				sent.push(JSON.parse(JSON.stringify(m.body)));
				delays.push(m.delaySeconds ?? sendOptions?.delaySeconds);
			}
			return response;
		},
	};
}

/** Runs the Worker's `scheduled()` handler (the cron sweep) once, as the 5-minute trigger would. */
export function runScheduled(bindings: Env = env): Promise<Observed<void>> {
	return observe(async () => {
		const ctx = createExecutionContext();
		await worker.scheduled(
			createScheduledController({ cron: "*/5 * * * *", scheduledTime: Date.now() }),
			bindings,
			ctx,
		);
	});
}

/** A `notify` job for outbox row `notificationId`. */
export const notifyJob = (notificationId: number): NotifyJob => ({ kind: "notify", notificationId });

/** A `retry-later` job for the ledger event (`provider`, `eventId`). */
export const retryLaterJob = (provider: string, eventId: string): RetryLaterJob => ({
	kind: "retry-later",
	provider,
	eventId,
});

/** The `notification` log lines (src/queue/notify.ts), in order. */
export const notificationLines = (observed: { logs: Record<string, unknown>[] }) =>
	observed.logs.filter((line) => line.message === "notification");

/** `bindings` with no jobs queue: a transient database failure is answered 503, as before the queue. */
export function withoutQueue(bindings: Env = env): Env {
	const { JOBS: _, ...rest } = bindings;
	return rest as Env;
}

/** The `webhook` log lines, in order. */
export const webhookLines = (observed: { logs: Record<string, unknown>[] }) =>
	observed.logs.filter((line) => line.message === "webhook");

/** An `apply` job as the Worker enqueues it (Clerk's ledger key is `deliveryId`, its svix-id). */
export function applyJob(provider: string, body: unknown, extra: Partial<ApplyJob> = {}): ApplyJob {
	return {
		kind: "apply",
		provider,
		body: typeof body === "string" ? body : JSON.stringify(body),
		receivedAt: Date.now(),
		requestId: uniqueId("request"),
		...extra,
	};
}
