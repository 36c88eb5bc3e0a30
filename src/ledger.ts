/**
 * @module ledger
 * The webhook_events ledger: every verified event recorded once per (provider, event_id), with the
 * payload kept for replay. Recording is a statement for a `db.batch`, so it commits together with
 * the changes the event makes, in one round trip. A redelivery of an event that did not succeed
 * (`failed`, `unmatched`, `dead`) records a new attempt and runs it again; a redelivery of a
 * `processed` or `ignored` one is a duplicate and changes nothing. An event about a row that does not
 * exist yet may be `deferred` instead of `unmatched`: it runs again at `next_attempt_at` (a
 * `retry-later` job, or the cron sweep), after growing delays, and is `unmatched` after the last; a
 * redelivery before it is due is a duplicate. Trust boundary: entries come from verified bodies.
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
	/**
	 * When `target` is false: `deferred` (run again after `deferDelaysSeconds`) instead of `unmatched`,
	 * until the attempt `maxDeferredAttempts` (Interpretation `whenUnmatched: "defer"`).
	 */
	defer?: boolean | undefined;
	/** The verified body as the ledger keeps it (webhooks/storable.ts). */
	body: LedgerBody;
	lastError?: string | undefined;
	/** The shop user the event is about (an id, or an SQL scalar that finds it), if any. */
	subjectUserId?: string | SQL | undefined;
}

/**
 * Statuses a redelivery (or a replay) runs again; a `deferred` one only once it is due (within
 * `dueLeewaySeconds`): before that, a redelivery is a duplicate.
 */
export const retriedStatuses: WebhookEventStatus[] = ["failed", "unmatched", "dead", "deferred"];
const finished: WebhookEventStatus[] = ["processed", "ignored", "unmatched"];

/**
 * How long a deferred event waits after its attempt n (n = 1…5), in seconds: about 1 min, 5 min,
 * 30 min, 2 h, 6 h (issue 10). Each wait is below a queue message's maximum delay of 12 h
 * (https://developers.cloudflare.com/queues/platform/limits/), so the job enqueued after a deferral
 * wakes when the event is due.
 */
export const deferDelaysSeconds = [60, 300, 1800, 7200, 21600] as const;

/** The attempt that records a still-unknown deferred event `unmatched`: the one after the last delay. */
export const maxDeferredAttempts = deferDelaysSeconds.length + 1;

/**
 * A deferred event is run again when its `next_attempt_at` is at most this far ahead, in seconds: a
 * delayed queue message may arrive a little early by the database's clock.
 */
export const dueLeewaySeconds = 5;

/** What recording returns: one row when this delivery recorded an attempt, none for a duplicate. */
export interface Recorded {
	status: WebhookEventStatus;
	attempts: number;
	/** When a `deferred` event is due to run again (null in every other status). */
	nextAttemptAt: Date | null;
}

const statusList = (statuses: WebhookEventStatus[]) =>
	sql.join(
		statuses.map((s) => sql`${s}`),
		sql`, `,
	);

/** The wait after attempt `attempts` (1…5) as an interval (SQL arrays count from 1). */
const deferDelay = (attempts: SQL) =>
	sql`(${sql.raw(`array[${deferDelaysSeconds.join(", ")}]`)})[${attempts}] * interval '1 second'`;

/**
 * Inserts the event if it is new, or records a new attempt of one that did not succeed; returns its
 * status, attempt count and next attempt then, and no row for a duplicate. The stored payload of an
 * earlier attempt is kept (it may have been erased since). An event about a deleted user is reduced
 * to its skeleton by privacy's eraseIfSubjectDeleted, the next statement of the batch.
 *
 * A deferring entry whose `target` is false is `deferred` with `next_attempt_at` = now + the delay of
 * its attempt; at attempt `maxDeferredAttempts` it is `unmatched`. Every other status clears
 * `next_attempt_at`. A `deferred` row takes a new attempt only once due (`dueLeewaySeconds`).
 */
export function recordEvent(db: Database, entry: LedgerEntry) {
	const otherwise = entry.defer ? "deferred" : "unmatched";
	const status = entry.target
		? sql<WebhookEventStatus>`case when ${entry.target} then ${entry.status} else ${otherwise} end`
		: entry.status;
	// a first attempt cannot be the last: a deferred one waits the first delay
	const deferring = entry.target && entry.defer;
	const processedAt = !finished.includes(entry.status)
		? null
		: deferring
			? sql`case when ${entry.target} then now() end`
			: sql`now()`;
	// a new attempt of a deferred event: unmatched once it is the last
	const attempts = sql`${webhookEvents.attempts} + 1`;
	const next = sql`(case when ${proposed(webhookEvents.status)} = 'deferred' and ${attempts} >= ${sql.raw(String(maxDeferredAttempts))}
		then 'unmatched' else ${proposed(webhookEvents.status)} end)`;
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
			processedAt,
			nextAttemptAt: deferring ? sql`case when not ${entry.target} then now() + ${deferDelay(sql`1`)} end` : null,
		})
		.onConflictDoUpdate({
			target: [webhookEvents.provider, webhookEvents.eventId],
			set: {
				status: next,
				attempts,
				lastError: proposed(webhookEvents.lastError),
				processedAt: sql`case when ${next} in (${statusList(finished)}) then now() end`,
				subjectUserId: sql`coalesce(${webhookEvents.subjectUserId}, ${proposed(webhookEvents.subjectUserId)})`,
				nextAttemptAt: sql`case when ${next} = 'deferred' then now() + ${deferDelay(attempts)} end`,
			},
			setWhere: sql`(${webhookEvents.status} in (${statusList(retriedStatuses.filter((s) => s !== "deferred"))})
				or (${webhookEvents.status} = 'deferred'
					and ${webhookEvents.nextAttemptAt} <= now() + ${sql.raw(`interval '${dueLeewaySeconds} seconds'`)}))`,
		})
		.returning({
			status: webhookEvents.status,
			attempts: webhookEvents.attempts,
			nextAttemptAt: webhookEvents.nextAttemptAt,
		});
}

/**
 * True only inside the transaction that just recorded this event (or a new attempt of it): the row's
 * xmin is our own transaction id. A duplicate finds the row too, but written by an earlier transaction.
 */
export function recordedByThisTransaction(provider: string, eventId: string): SQL {
	return sql`exists (select 1 from ${webhookEvents} where ${webhookEvents.provider} = ${provider} and ${webhookEvents.eventId} = ${eventId} and xmin = pg_current_xact_id()::xid)`;
}
