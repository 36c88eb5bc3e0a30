/**
 * @module ledger
 * The webhook_events ledger: every verified event recorded once per (provider, event_id), with the
 * payload kept for replay. Recording is a statement for a `db.batch`, so it commits together with
 * the changes the event makes, in one round trip. A redelivery of an event that did not succeed
 * (`failed`, `unmatched`, `dead`) records a new attempt and runs it again; a redelivery of a
 * `processed` or `ignored` one is a duplicate and changes nothing.
 */
import { type SQL, sql } from "drizzle-orm";
import type { Database } from "./db/client";
import { proposed } from "./db/insert-if";
import { type WebhookEventStatus, webhookEvents } from "./db/schema";
import type { LedgerBody } from "./webhooks/storable";

export interface LedgerEntry {
	provider: string;
	eventId: string;
	eventType: string;
	/** `processed` may depend on the database: then it is `unmatched` when `target` is false. */
	status: WebhookEventStatus;
	target?: SQL | undefined;
	/** The verified body as the ledger keeps it (webhooks/storable.ts). */
	body: LedgerBody;
	lastError?: string | undefined;
	/** The shop user the event is about (an id, or an SQL scalar that finds it), if any. */
	subjectUserId?: string | SQL | undefined;
}

/** Statuses a redelivery (or a replay) runs again. */
export const retriedStatuses: WebhookEventStatus[] = ["failed", "unmatched", "dead"];
const finished: WebhookEventStatus[] = ["processed", "ignored", "unmatched"];

/** What recording returns: one row when this delivery recorded an attempt, none for a duplicate. */
export interface Recorded {
	status: WebhookEventStatus;
	attempts: number;
}

/**
 * Inserts the event if it is new, or records a new attempt of one that did not succeed; returns its
 * status and attempt count then, and no row for a duplicate. The stored payload of an earlier attempt
 * is kept (it may have been erased since). An event about a deleted user is reduced to its skeleton
 * by privacy's eraseIfSubjectDeleted, the next statement of the batch.
 */
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
			payload: sql`${entry.body.payload}::jsonb`,
			rawBody: entry.body.rawBody,
			subjectUserId: entry.subjectUserId === undefined ? null : sql`(${entry.subjectUserId})::text`,
			lastError: entry.lastError ?? null,
			processedAt: finished.includes(entry.status) ? sql`now()` : null,
		})
		.onConflictDoUpdate({
			target: [webhookEvents.provider, webhookEvents.eventId],
			set: {
				status: proposed(webhookEvents.status),
				attempts: sql`${webhookEvents.attempts} + 1`,
				lastError: proposed(webhookEvents.lastError),
				processedAt: proposed(webhookEvents.processedAt),
				subjectUserId: sql`coalesce(${webhookEvents.subjectUserId}, ${proposed(webhookEvents.subjectUserId)})`,
			},
			setWhere: sql`${webhookEvents.status} in (${sql.join(
				retriedStatuses.map((s) => sql`${s}`),
				sql`, `,
			)})`,
		})
		.returning({ status: webhookEvents.status, attempts: webhookEvents.attempts });
}

/**
 * True only inside the transaction that just recorded this event (or a new attempt of it): the row's
 * xmin is our own transaction id. A duplicate finds the row too, but written by an earlier transaction.
 */
export function recordedByThisTransaction(provider: string, eventId: string): SQL {
	return sql`exists (select 1 from ${webhookEvents} where ${webhookEvents.provider} = ${provider} and ${webhookEvents.eventId} = ${eventId} and xmin = pg_current_xact_id()::xid)`;
}
