/**
 * @module queue/retry-later
 * `retry-later` jobs: a ledger event recorded `deferred` (a tracking update for a parcel the shop had
 * not recorded yet) run again from the body the ledger keeps, through the same apply path as a live
 * delivery (webhooks/apply.ts). The ledger row is the truth, the message a wake-up call: one select
 * loads the rows of every retry-later job of a batch, and
 * - a row no longer `deferred` (applied meanwhile, by a redelivery or another job) is done: acked;
 * - a row not due yet (its `next_attempt_at` more than 5 s away) is acked as a duplicate: a spare job
 *   (a sender's redelivery, a sweep's copy, one that woke early), since every deferral enqueues the
 *   row's own job for when it is due and the cron sweep re-enqueues a row overdue (queue/sweep.ts);
 *   putting it back would keep one more message around per spare, for ever;
 * - a due row becomes the verified delivery it was (webhooks/stored-delivery.ts: its provider from the
 *   registry, its body as stored, checked to read back as this event), to be applied with the batch's
 *   other jobs: the ledger records the attempt, applied or deferred again (apply.ts then enqueues the
 *   next retry-later) or, after the last, `unmatched`.
 * Trust boundary: the body was verified when it arrived and has been in our ledger since.
 */
import { and, eq, or, sql } from "drizzle-orm";
import { database } from "../db/client";
import { webhookEvents } from "../db/schema";
import { dueLeewaySeconds } from "../ledger";
import { ledgerAlerts, type VerifiedDelivery } from "../webhooks/apply";
import type { WebhookProvider } from "../webhooks/provider";
import { storedBody, storedDelivery } from "../webhooks/stored-delivery";
import type { RetryLaterJob } from "./jobs";
import { type QueueMessage, queuedLine, retryWhileUnavailable } from "./message";

export interface RetryLaterItem {
	message: QueueMessage;
	job: RetryLaterJob;
	provider: WebhookProvider;
}

/** A retry-later job whose event is due, as the delivery to apply. */
export interface DueRetry extends RetryLaterItem {
	delivery: VerifiedDelivery;
}

/** What the ledger holds of a deferred event. */
interface DeferredRow {
	provider: string;
	eventId: string;
	eventType: string;
	status: string;
	/** Seconds until its next attempt (negative when overdue); null when none is planned. */
	dueInSeconds: number | null;
	/** The verified body as received (raw_body), else the stored payload as JSON text. */
	body: string;
}

/**
 * Loads the ledger rows of `items` (one select), settles every message whose event is not to be
 * applied now, and returns the others as deliveries. Never throws: when the database cannot be read,
 * every message is retried with backoff.
 */
export async function dueRetries(items: RetryLaterItem[], env: Env, started: number): Promise<DueRetry[]> {
	if (items.length === 0) return [];
	const db = database(env.DATABASE_URL);
	let rows: DeferredRow[];
	try {
		rows = await db
			.select({
				provider: webhookEvents.provider,
				eventId: webhookEvents.eventId,
				eventType: webhookEvents.eventType,
				status: webhookEvents.status,
				dueInSeconds: sql<number | null>`ceil(extract(epoch from ${webhookEvents.nextAttemptAt} - now()))::integer`,
				body: storedBody,
			})
			.from(webhookEvents)
			.where(
				or(
					...items.map(({ job }) =>
						and(eq(webhookEvents.provider, job.provider), eq(webhookEvents.eventId, job.eventId)),
					),
				),
			);
	} catch (error) {
		for (const { message, job } of items)
			retryWhileUnavailable(message, error, (level, fields) =>
				queuedLine(level, "queue", job, message, started, { event_type: null, event_id: job.eventId, ...fields }),
			);
		return [];
	}
	const byKey = new Map(rows.map((row) => [`${row.provider}\u0000${row.eventId}`, row]));
	const due: DueRetry[] = [];
	for (const item of items) {
		const row = byKey.get(`${item.job.provider}\u0000${item.job.eventId}`);
		const delivery = row ? await plan(item, row, env, started) : gone(item, started);
		if (delivery) due.push({ ...item, delivery });
	}
	return due;
}

/** A job for an event the ledger does not have (a hand-written message): nothing to run. */
function gone({ message, job }: RetryLaterItem, started: number): undefined {
	queuedLine("error", "queue", job, message, started, {
		event_type: null,
		event_id: job.eventId,
		outcome: "dropped",
		reason: "no_such_event",
	});
	message.ack();
	return undefined;
}

/** Settles the message of a row that is not to run now; returns the delivery of one that is. */
async function plan(
	item: RetryLaterItem,
	row: DeferredRow,
	env: Env,
	started: number,
): Promise<VerifiedDelivery | undefined> {
	const { message, job, provider } = item;
	const line = (level: "info" | "warn" | "error", fields: Record<string, unknown>) =>
		queuedLine(level, "queue", job, message, started, { event_type: row.eventType, event_id: row.eventId, ...fields });
	if (row.status !== "deferred") {
		line("info", { outcome: "duplicate", reason: "not_deferred", ledger_status: row.status });
		message.ack();
		return undefined;
	}
	if (row.dueInSeconds !== null && row.dueInSeconds > dueLeewaySeconds) {
		line("info", { outcome: "duplicate", reason: "not_due", due_in_seconds: row.dueInSeconds });
		message.ack();
		return undefined;
	}
	const rebuilt = await storedDelivery(provider, row, env);
	if (!rebuilt.ok) {
		const reason =
			rebuilt.reason === "not_this_event"
				? "retry-later: the stored body does not read back as this event; a redelivery by the sender runs it"
				: "retry-later: the stored body is not JSON; a redelivery by the sender runs it";
		let recorded = false;
		try {
			recorded = (await stopRetrying(env, row, reason)).length > 0;
		} catch (error) {
			retryWhileUnavailable(message, error, line);
			return undefined;
		}
		// recorded: the event moved from deferred to failed (else something else ran it meanwhile)
		line("error", { outcome: "failed", reason, recorded, ...(recorded ? { alert: ledgerAlerts.failed } : {}) });
		message.ack();
		return undefined;
	}
	return rebuilt.delivery;
}

/**
 * Records a deferred event `failed` (a new attempt, `reason` as its last error), when it is still
 * deferred: it cannot be run from the ledger, and a sender's redelivery (or a replay) runs it again,
 * as for any failed event (src/ledger.ts retriedStatuses).
 */
function stopRetrying(env: Env, row: DeferredRow, reason: string) {
	const e = webhookEvents;
	return database(env.DATABASE_URL)
		.update(e)
		.set({
			status: "failed",
			attempts: sql`${e.attempts} + 1`,
			lastError: reason,
			nextAttemptAt: null,
		})
		.where(and(eq(e.provider, row.provider), eq(e.eventId, row.eventId), eq(e.status, "deferred")))
		.returning({ status: e.status });
}
