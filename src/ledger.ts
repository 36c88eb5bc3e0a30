/**
 * @module ledger
 * The webhook_events ledger: every verified event recorded once per (provider, event_id), with the
 * payload kept for replay. Recording is a statement for a `db.batch`, so it commits together with
 * the changes the event makes, in one round trip.
 */
import { type SQL, sql } from "drizzle-orm";
import type { Database } from "./db/client";
import { type WebhookEventStatus, webhookEvents } from "./db/schema";

export interface LedgerEntry {
	provider: string;
	eventId: string;
	eventType: string;
	/** `processed` may depend on the database: then it is `unmatched` when `target` is false. */
	status: WebhookEventStatus;
	target?: SQL | undefined;
	/** The verified body, exactly as received (JSON text). */
	payload: string;
	lastError?: string | undefined;
}

const finished: WebhookEventStatus[] = ["processed", "ignored", "unmatched"];

/** Inserts the event if it is new; returns its recorded status when it was, no row for a duplicate. */
export function recordEvent(db: Database, entry: LedgerEntry) {
	const status = entry.target
		? sql<WebhookEventStatus>`case when ${entry.target} then ${entry.status} else 'unmatched' end`
		: entry.status;
	return db
		.insert(webhookEvents)
		.values({
			provider: entry.provider,
			eventId: entry.eventId,
			eventType: entry.eventType,
			status,
			payload: sql`${entry.payload}::jsonb`,
			lastError: entry.lastError ?? null,
			processedAt: finished.includes(entry.status) ? sql`now()` : null,
		})
		.onConflictDoNothing({ target: [webhookEvents.provider, webhookEvents.eventId] })
		.returning({ status: webhookEvents.status });
}

/**
 * True only inside the transaction that just recorded this event: the row's xmin is our own
 * transaction id. A duplicate finds the row too, but written by an earlier transaction.
 */
export function recordedByThisTransaction(provider: string, eventId: string): SQL {
	return sql`exists (select 1 from ${webhookEvents} where ${webhookEvents.provider} = ${provider} and ${webhookEvents.eventId} = ${eventId} and xmin = pg_current_xact_id()::xid)`;
}
