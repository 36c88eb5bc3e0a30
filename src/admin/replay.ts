/**
 * @module admin/replay
 * An operator's replay: a ledger event's stored, already verified payload applied again through the
 * same code path as a live delivery (webhooks/apply.ts), rebuilt as webhooks/stored-delivery.ts does.
 * The ledger decides as for a sender's redelivery (src/ledger.ts): a `processed` or `ignored` event
 * is a duplicate and nothing changes; a `failed`, `unmatched` or `dead` one runs again (a new
 * attempt); a `deferred` one is first made due (`next_attempt_at = now()`), then runs: that run is
 * one of its automatic attempts (src/ledger.ts: at attempt `maxDeferredAttempts` it is `unmatched`),
 * so a bulk replay takes deferred events only when its filter names them. An erased payload
 * (`erased_at` set: its user was deleted, or retention took it) is refused: its skeleton is not the
 * event. One event is replayed at once and answers its outcome; many (`replayMany`, by a filter)
 * become `replay` jobs on the queue (queue/replay.ts), at most MAX_BULK_REPLAY per call.
 * Trust boundary: the caller is an authenticated operator; the payloads were verified on arrival.
 */
import { and, asc, eq, inArray, isNull, type SQL, sql } from "drizzle-orm";
import { database } from "../db/client";
import { isTransient } from "../db/errors";
import { type WebhookEventStatus, webhookEvents } from "../db/schema";
import { maxDeferredAttempts, retriedStatuses } from "../ledger";
import { describeError, log } from "../log";
import { enqueueJobs } from "../queue/enqueue";
import type { ReplayJob } from "../queue/jobs";
import { providerNamed } from "../queue/read-job";
import { applyDeliveries, type EventOutcome } from "../webhooks/apply";
import { storedBody, storedDelivery } from "../webhooks/stored-delivery";
import { type Read, withStatusesAmong } from "./event-query";
import { countEvents, type EventFilter, eventCondition } from "./ledger-queries";

const e = webhookEvents;

/** Why a replay was not run. */
export type ReplayRefusal =
	/** No ledger event has that id. */
	| "not_found"
	/** Its payload was erased: only a skeleton is left. */
	| "erased"
	/** Its provider is not in this Worker's registry (src/providers/index.ts) any more. */
	| "unknown_provider"
	/** Its stored body does not read back as this event (webhooks/stored-delivery.ts). */
	| "not_replayable"
	/** The database could not be reached, or refused for a passing reason: try again. */
	| "database_unavailable";

export type ReplayResult =
	| {
			ok: true;
			/** What applying it did (`duplicate`: it was processed or ignored, nothing changed). */
			outcome: EventOutcome;
			/** The ledger row afterwards. */
			event: { id: number; status: WebhookEventStatus; attempts: number; lastError: string | null };
			/** Its status before the replay (`deferred`: the replay was one of its attempts). */
			before: WebhookEventStatus;
	  }
	| { ok: false; reason: ReplayRefusal };

/** The operator's message for each refusal (no value of the event in it). */
export const refusalMessages: Record<ReplayRefusal, string> = {
	not_found: "No ledger event has this id.",
	erased:
		"This event's payload was erased (its user was deleted, or the retention period passed): only its skeleton is kept, which cannot be replayed. Ask the provider to resend the event if it is still needed.",
	unknown_provider: "This event's provider is not served by this Worker any more.",
	not_replayable:
		"This event's stored body does not read back as the same event; ask the provider to resend it (a redelivery runs it again).",
	database_unavailable: "The database could not be reached; nothing was changed. Try again.",
};

/** Replays ledger event `id` now and answers what happened. Never throws. */
export async function replayEvent(env: Env, id: number): Promise<ReplayResult> {
	const started = Date.now();
	const db = database(env.DATABASE_URL);
	try {
		const [row] = await db
			.select({
				provider: e.provider,
				eventId: e.eventId,
				eventType: e.eventType,
				status: e.status,
				erasedAt: e.erasedAt,
				body: storedBody,
			})
			.from(e)
			.where(eq(e.id, id));
		if (!row) return { ok: false, reason: "not_found" };
		const refuse = (reason: ReplayRefusal): ReplayResult => {
			log("warn", "replay", { provider: row.provider, event_id: row.eventId, outcome: "refused", reason });
			return { ok: false, reason };
		};
		if (row.erasedAt !== null) return refuse("erased");
		const provider = providerNamed(row.provider);
		if (!provider) return refuse("unknown_provider");
		const rebuilt = await storedDelivery(provider, row, env);
		if (!rebuilt.ok) return refuse("not_replayable");
		if (row.status === "deferred")
			await db
				.update(e)
				.set({ nextAttemptAt: sql`now()` })
				.where(and(eq(e.id, id), eq(e.status, "deferred")));
		const [applied] = await applyDeliveries([rebuilt.delivery], env);
		if (!applied?.ok) {
			log("warn", "replay", {
				provider: row.provider,
				event_id: row.eventId,
				outcome: "retry",
				reason: "database_unavailable",
				...(applied && "transient" in applied ? describeError(applied.transient) : {}),
			});
			return { ok: false, reason: "database_unavailable" };
		}
		const [result] = applied.events;
		const outcome = result?.outcome ?? "ignored";
		// the same line as a live delivery's, so that its alerts (webhook_failed, webhook_unmatched) fire
		log(result?.level ?? "info", "webhook", {
			provider: row.provider,
			event_type: result?.eventType ?? row.eventType,
			event_id: result?.eventId ?? row.eventId,
			outcome,
			...result?.fields,
			via: "replay",
			duration_ms: Date.now() - started,
		});
		const [after] = await db
			.select({ id: e.id, status: e.status, attempts: e.attempts, lastError: e.lastError })
			.from(e)
			.where(eq(e.id, id));
		if (!after) return { ok: false, reason: "not_found" };
		return { ok: true, outcome, event: after, before: row.status };
	} catch (error) {
		if (!isTransient(error)) throw error;
		log("warn", "replay", { id, outcome: "retry", reason: "database_unavailable", ...describeError(error) });
		return { ok: false, reason: "database_unavailable" };
	}
}

/** The most `replay` jobs one bulk replay enqueues. */
export const MAX_BULK_REPLAY = 1000;

/** The statuses a replay runs again (src/ledger.ts retriedStatuses). */
export const replayableStatuses: readonly WebhookEventStatus[] = retriedStatuses;

/**
 * The statuses a bulk replay selects when its filter names none: not `deferred`, which runs again by
 * itself, and whose automatic attempts each replay would use up.
 */
export const bulkReplayDefaultStatuses: readonly WebhookEventStatus[] = replayableStatuses.filter(
	(status) => status !== "deferred",
);

/** What the operator is told of a deferred event's replay (the API's `note`, the dashboard, the CLI). */
export const deferredReplayNote = `A replay of a deferred event counts as one of its attempts: it runs again by itself until attempt ${maxDeferredAttempts}, which records it unmatched if what it is about is still missing.`;

/**
 * A bulk replay's filter, as the API and the dashboard read it: its statuses among
 * replayableStatuses (another one is refused: its replay would be a duplicate, or it is in flight),
 * bulkReplayDefaultStatuses when it names none.
 */
export function bulkReplayFilter(filter: EventFilter): Read<EventFilter & { status: WebhookEventStatus[] }> {
	return withStatusesAmong(
		filter,
		replayableStatuses,
		bulkReplayDefaultStatuses,
		"the statuses a replay runs again; processed and ignored events would be duplicates; deferred only when named",
	);
}

/**
 * What a bulk replay selects: the filter's events that a replay would run again (the filter's
 * statuses among replayableStatuses; bulkReplayDefaultStatuses when it names none) and whose
 * payload is kept.
 */
function replayable(filter: EventFilter): { filter: EventFilter; condition: SQL } {
	const asked = filter.status === undefined ? bulkReplayDefaultStatuses : [filter.status].flat();
	const statuses = asked.filter((status) => replayableStatuses.includes(status));
	return {
		filter: { ...filter, status: undefined },
		// an empty list selects nothing (`in ()` is not SQL)
		condition: and(statuses.length > 0 ? inArray(e.status, statuses) : sql`false`, isNull(e.erasedAt)) as SQL,
	};
}

export type BulkReplayResult =
	/** `count`: the events selected; `enqueue`: how many of them the same call without dry run enqueues (at most `limit`); `capped`: count > limit. */
	| { ok: true; dryRun: true; count: number; enqueue: number; capped: boolean }
	/** `capped`: more events matched than `limit`; replay again once these are consumed. */
	| { ok: true; dryRun: false; enqueued: number; capped: boolean }
	| { ok: false; reason: "database_unavailable" | "enqueue_failed" };

/**
 * A bulk replay by `filter` (read by bulkReplayFilter). Dry run: how many events it selects and how
 * many of them it would enqueue (at most `limit`). Else enqueues one `replay` job
 * per event, oldest first, at most `limit` (1 … MAX_BULK_REPLAY); the queue's consumer applies them
 * as it applies a retry-later job (queue/replay.ts). Never throws on a database outage.
 */
export async function replayMany(
	env: Env,
	filter: EventFilter,
	options: { dryRun: boolean; limit?: number },
): Promise<BulkReplayResult> {
	const db = database(env.DATABASE_URL);
	const { filter: rest, condition } = replayable(filter);
	const limit = Math.min(MAX_BULK_REPLAY, Math.max(1, Math.trunc(options.limit ?? MAX_BULK_REPLAY)));
	let rows: { provider: string; eventId: string }[];
	try {
		if (options.dryRun) {
			const count = await countEvents(db, rest, condition);
			return { ok: true, dryRun: true, count, enqueue: Math.min(count, limit), capped: count > limit };
		}
		rows = await db
			.select({ provider: e.provider, eventId: e.eventId })
			.from(e)
			.where(and(eventCondition(rest), condition))
			.orderBy(asc(e.receivedAt), asc(e.id))
			.limit(limit + 1);
	} catch (error) {
		if (!isTransient(error)) throw error;
		log("warn", "replay", { outcome: "retry", reason: "database_unavailable", bulk: true, ...describeError(error) });
		return { ok: false, reason: "database_unavailable" };
	}
	const chosen = rows.slice(0, limit);
	const jobs = chosen.map(({ provider, eventId }) => ({
		job: { kind: "replay", provider, eventId } satisfies ReplayJob,
		delaySeconds: 0,
	}));
	const enqueued = await enqueueJobs(env, jobs);
	if (!enqueued.ok) {
		log("error", "replay", {
			outcome: "not_enqueued",
			reason: enqueued.reason,
			bulk: true,
			events: jobs.length,
			...(enqueued.error ? describeError(enqueued.error) : {}),
		});
		return { ok: false, reason: "enqueue_failed" };
	}
	log("info", "replay", { outcome: "enqueued", bulk: true, events: jobs.length, capped: rows.length > limit });
	return { ok: true, dryRun: false, enqueued: jobs.length, capped: rows.length > limit };
}
