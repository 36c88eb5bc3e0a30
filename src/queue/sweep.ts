/**
 * @module queue/sweep
 * The cron trigger's work (wrangler.toml `[triggers]`, every 5 minutes): what must not be lost is a row
 * before it is a queue message, so a message lost after the commit (an enqueue that failed, a job
 * dead-lettered) is found again here. It re-enqueues a `retry-later` job for each `deferred` ledger
 * event whose next attempt is more than a minute overdue, and a `notify` job for each `pending`
 * notification more than a minute overdue that no job holds. A duplicate job is harmless: the ledger
 * runs a deferred event once per due attempt, and a notification is claimed by one job at a time.
 * Then it applies the ledger's retention (queue/retention.ts): the payloads of processed and ignored
 * events older than LEDGER_RETENTION_DAYS are erased, a bounded number per run, with a log line of
 * the count.
 * Trust boundary: reads our own tables only; logs counts only.
 */
import { and, asc, eq, isNull, lt, or, sql } from "drizzle-orm";
import { database } from "../db/client";
import { notifications, webhookEvents } from "../db/schema";
import { describeError, type LogLevel, log } from "../log";
import { type DelayedJob, enqueueJobs } from "./enqueue";
import { eraseExpiredPayloads, retentionDays } from "./retention";

/** At most this many rows of each kind per run (s): a backlog is worked off over a few runs. */
export const SWEEP_LIMIT = 500;
/** A row is re-enqueued when its next attempt is overdue by more than this (s): its own job had time to come. */
export const OVERDUE_SECONDS = 60;

export interface Swept {
	deferred: number;
	notifications: number;
}

/**
 * The cron trigger's work: the overdue rows' jobs (`sweepOverdue`), then the retention
 * (`applyRetention`), each with its own log line; neither stops the other. Never throws.
 */
export async function sweep(env: Env): Promise<{ overdue: Swept | undefined; erased: number | undefined }> {
	const overdue = await sweepOverdue(env);
	const erased = await applyRetention(env);
	return { overdue, erased };
}

/**
 * Erases the payloads retention allows (queue/retention.ts); one `retention` log line with the count.
 * Never throws; undefined when the database could not do it (the next run tries again).
 */
export async function applyRetention(env: Env): Promise<number | undefined> {
	const started = Date.now();
	const { days, invalid } = retentionDays(env);
	const setting = {
		retention_days: days,
		...(invalid ? { reason: "LEDGER_RETENTION_DAYS is not a whole number of days from 1: the default is used" } : {}),
	};
	try {
		const erased = await eraseExpiredPayloads(env, days);
		log(invalid ? "warn" : "info", "retention", {
			outcome: "erased",
			erased,
			...setting,
			duration_ms: Date.now() - started,
		});
		return erased;
	} catch (error) {
		log("error", "retention", {
			outcome: "database_unavailable",
			...setting,
			...describeError(error),
			duration_ms: Date.now() - started,
		});
		return undefined;
	}
}

/** Finds overdue rows and enqueues their jobs; one log line. Never throws; undefined when the database could not be read. */
export async function sweepOverdue(env: Env): Promise<Swept | undefined> {
	const started = Date.now();
	const db = database(env.DATABASE_URL);
	const overdue = sql`now() - make_interval(secs => ${OVERDUE_SECONDS})`;
	const line = (level: LogLevel, fields: Record<string, unknown>) =>
		log(level, "sweep", { ...fields, duration_ms: Date.now() - started });
	let deferred: { provider: string; eventId: string }[];
	let pending: { id: number }[];
	try {
		[deferred, pending] = await db.batch([
			db
				.select({ provider: webhookEvents.provider, eventId: webhookEvents.eventId })
				.from(webhookEvents)
				.where(and(eq(webhookEvents.status, "deferred"), lt(webhookEvents.nextAttemptAt, overdue)))
				.orderBy(asc(webhookEvents.nextAttemptAt))
				.limit(SWEEP_LIMIT),
			db
				.select({ id: notifications.id })
				.from(notifications)
				.where(
					and(
						eq(notifications.status, "pending"),
						lt(notifications.nextAttemptAt, overdue),
						or(isNull(notifications.claimedUntil), lt(notifications.claimedUntil, sql`now()`)),
					),
				)
				.orderBy(asc(notifications.nextAttemptAt))
				.limit(SWEEP_LIMIT),
		]);
	} catch (error) {
		// the next run tries again: nothing is lost, the rows wait
		line("error", { outcome: "database_unavailable", ...describeError(error) });
		return undefined;
	}
	const jobs: DelayedJob[] = [
		...deferred.map(({ provider, eventId }) => ({
			job: { kind: "retry-later" as const, provider, eventId },
			delaySeconds: 0,
		})),
		...pending.map(({ id }) => ({ job: { kind: "notify" as const, notificationId: id }, delaySeconds: 0 })),
	];
	const counts = { deferred: deferred.length, notifications: pending.length };
	const enqueued = await enqueueJobs(env, jobs);
	if (!enqueued.ok) {
		line("error", {
			outcome: "enqueue_failed",
			reason: enqueued.reason,
			...counts,
			...(enqueued.error ? describeError(enqueued.error) : {}),
		});
		return counts;
	}
	// something overdue means a job was lost (or the consumer is far behind): worth a look
	line(jobs.length > 0 ? "warn" : "info", { outcome: "enqueued", ...counts });
	return counts;
}
