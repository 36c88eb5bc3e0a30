/**
 * @module queue/replay
 * `replay` jobs (an operator's bulk replay, admin/replay.ts): a ledger event run again from the body
 * the ledger keeps, through the same apply path as a live delivery, with the batch's other jobs in
 * its one transaction (queue/consumer.ts). As a retry-later job, minus its waiting: one request loads
 * the rows of every replay job of the batch, after making the `deferred` ones due
 * (`next_attempt_at = now()`, so that the ledger runs them), and
 * - a row that is `processed` or `ignored` is a duplicate: acked, nothing changes;
 * - an erased row (its payload is a skeleton) cannot be replayed: acked, logged;
 * - any other (`failed`, `unmatched`, `dead`, `deferred`) becomes the verified delivery it was
 *   (webhooks/stored-delivery.ts), to be applied: the ledger records a new attempt.
 * A row whose body does not read back as its event is left as it is (logged at error): a redelivery
 * by the sender runs it. Trust boundary: the bodies were verified on arrival and kept in our ledger.
 */
import { and, eq, isNull, or, type SQL, sql } from "drizzle-orm";
import { database } from "../db/client";
import { webhookEvents } from "../db/schema";
import type { VerifiedDelivery } from "../webhooks/apply";
import type { WebhookProvider } from "../webhooks/provider";
import { storedBody, storedDelivery } from "../webhooks/stored-delivery";
import type { ReplayJob } from "./jobs";
import { type QueueMessage, queuedLine, retryWhileUnavailable } from "./message";

export interface ReplayItem {
	message: QueueMessage;
	job: ReplayJob;
	provider: WebhookProvider;
}

/** A replay job whose event runs again, as the delivery to apply. */
export interface DueReplay extends ReplayItem {
	delivery: VerifiedDelivery;
}

const e = webhookEvents;

/**
 * Loads the ledger rows of `items` (one request: the deferred ones made due, then read), settles every
 * message whose event is not to run, and returns the others as deliveries. Never throws: when the
 * database cannot be reached, every message is retried with backoff.
 */
export async function replaysToRun(items: ReplayItem[], env: Env, started: number): Promise<DueReplay[]> {
	if (items.length === 0) return [];
	const db = database(env.DATABASE_URL);
	const keys = or(...items.map(({ job }) => and(eq(e.provider, job.provider), eq(e.eventId, job.eventId)))) as SQL;
	let rows: {
		provider: string;
		eventId: string;
		eventType: string;
		status: string;
		erasedAt: Date | null;
		body: string;
	}[];
	try {
		[, rows] = await db.batch([
			db
				.update(e)
				.set({ nextAttemptAt: sql`now()` })
				.where(and(keys, eq(e.status, "deferred"), isNull(e.erasedAt))),
			db
				.select({
					provider: e.provider,
					eventId: e.eventId,
					eventType: e.eventType,
					status: e.status,
					erasedAt: e.erasedAt,
					body: storedBody,
				})
				.from(e)
				.where(keys),
		]);
	} catch (error) {
		for (const { message, job } of items)
			retryWhileUnavailable(message, error, (level, fields) =>
				queuedLine(level, "queue", job, message, started, { event_type: null, event_id: job.eventId, ...fields }),
			);
		return [];
	}
	const byKey = new Map(rows.map((row) => [`${row.provider}\u0000${row.eventId}`, row]));
	const toRun: DueReplay[] = [];
	for (const item of items) {
		const { message, job, provider } = item;
		const row = byKey.get(`${job.provider}\u0000${job.eventId}`);
		const line = (level: "info" | "warn" | "error", fields: Record<string, unknown>) =>
			queuedLine(level, "queue", job, message, started, {
				event_type: row?.eventType ?? null,
				event_id: job.eventId,
				...fields,
			});
		if (!row) {
			line("error", { outcome: "dropped", reason: "no_such_event" });
			message.ack();
			continue;
		}
		if (row.status === "processed" || row.status === "ignored") {
			line("info", { outcome: "duplicate", ledger_status: row.status });
			message.ack();
			continue;
		}
		if (row.erasedAt !== null) {
			line("warn", { outcome: "refused", reason: "erased", ledger_status: row.status });
			message.ack();
			continue;
		}
		const rebuilt = await storedDelivery(provider, row, env);
		if (!rebuilt.ok) {
			line("error", {
				outcome: "refused",
				reason: "not_replayable",
				detail: rebuilt.reason,
				ledger_status: row.status,
			});
			message.ack();
			continue;
		}
		toRun.push({ ...item, delivery: rebuilt.delivery });
	}
	return toRun;
}
