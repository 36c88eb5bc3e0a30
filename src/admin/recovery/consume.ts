/**
 * @module admin/recovery/consume
 * The queue's side of the recoveries: the consumer (src/queue/consumer.ts) hands each
 * `stripe-backfill` and `clerk-reconcile` job here, one after the other (each page is a provider
 * request and a transaction of its own), and every message is settled explicitly: acked, or retried
 * with the delay its page asked for. The dead letters' consumer (src/queue/dead-letters.ts) hands
 * over a page whose retries ran out: its run ends `failed` (the operator starts it again), or the
 * message is retried while the database is still unavailable.
 */
import { database } from "../../db/client";
import { describeError, log } from "../../log";
import { backoffSeconds } from "../../queue/backoff";
import { DEAD_LETTER_QUEUE, JOBS_QUEUE, maxRetries } from "../../queue/config";
import type { RecoveryJob } from "../../queue/jobs";
import type { QueueMessage } from "../../queue/message";
import { clerkReconcilePage } from "./clerk-reconcile";
import { failRun } from "./runs";
import { stripeBackfillPage } from "./stripe-backfill";

/** A recovery job of a batch. */
export interface RecoveryItem {
	message: QueueMessage;
	job: RecoveryJob;
}

/** Runs each page and settles its message. Never throws. */
export async function consumeRecoveries(items: RecoveryItem[], env: Env): Promise<void> {
	for (const { message, job } of items) {
		const settle =
			job.kind === "stripe-backfill"
				? await stripeBackfillPage(job, env, message.attempts)
				: await clerkReconcilePage(job, env, message.attempts);
		if (settle.ack) message.ack();
		else message.retry({ delaySeconds: settle.delaySeconds });
	}
}

/** The `last_error` of a run whose page's retries ran out. */
export const gaveUpError = `a page failed ${maxRetries[JOBS_QUEUE] + 1} times (see its recovery log lines): start the recovery again`;

/** Ends the runs of dead recovery jobs `failed`. Never throws. */
export async function recoveriesGaveUp(items: RecoveryItem[], env: Env): Promise<void> {
	const db = database(env.DATABASE_URL);
	for (const { message, job } of items) {
		const kind = job.kind === "stripe-backfill" ? "stripe_backfill" : "clerk_reconcile";
		try {
			const recorded = await failRun(db, job.runId, gaveUpError);
			log("error", "recovery", {
				run_id: job.runId,
				kind,
				outcome: "failed",
				reason: "retries_exhausted",
				recorded,
				alert: "recovery_failed",
				queue: DEAD_LETTER_QUEUE,
				queue_attempt: message.attempts,
			});
			message.ack();
		} catch (error) {
			const delaySeconds = backoffSeconds(message.attempts);
			log("warn", "recovery", {
				run_id: job.runId,
				kind,
				outcome: "retry",
				reason: "database_unavailable",
				delay_seconds: delaySeconds,
				queue: DEAD_LETTER_QUEUE,
				queue_attempt: message.attempts,
				...describeError(error),
			});
			message.retry({ delaySeconds });
		}
	}
}
