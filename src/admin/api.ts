/**
 * @module admin/api
 * The admin API, mounted at `/api/admin` (app.ts): JSON over HTTPS for an operator or a script
 * (`npm run events`). It exists only when ADMIN_TOKEN is set (else 404 everywhere), sends Hono's
 * secureHeaders and `Cache-Control: no-store` (answers hold payloads, with personal data), and takes
 * the token as `Authorization: Bearer` (admin/auth.ts; 401 without it). No
 * cookie authenticates here, so a cross-site form post carries no credential and CSRF does not apply
 * (the dashboard's forms, which a cookie does authenticate, have their own protection).
 * - `GET /events` (provider, type, status, since, until, cursor, limit), `GET /events/:id`;
 * - `POST /events/:id/replay`, `POST /events/replay` (bulk, by the same filter; `dry_run`, `limit`);
 * - `GET /stats?window_hours=24` (the clock hours up to the current one; `at`: up to the hour holding it);
 * - the recoveries' routes (admin/recovery/routes.ts: Stripe backfill, Clerk reconcile, their runs).
 * Trust boundary: past adminBearer the caller is the operator; payloads are shown as stored (an
 * erased one as its skeleton). Input is read strictly (admin/event-query.ts): an unknown parameter
 * or body field, an empty or unreadable value is a 400 naming the field, never a wider selection;
 * an error answer never echoes a stored value.
 */
import { Hono, type MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import * as z from "zod/mini";
import { database } from "../db/client";
import { isTransient } from "../db/errors";
import { describeError, log } from "../log";
import { describeIssues } from "../validation";
import { adminBearer, adminOnly } from "./auth";
import {
	filterFields,
	listParameters,
	type QueryValues,
	queryValuesOf,
	type Read,
	readCount,
	readEventListQuery,
	readFilter,
	readWindowEnd,
} from "./event-query";
import { type EventDetail, type EventSummary, getEvent, listEvents, MAX_WINDOW_HOURS, stats } from "./ledger-queries";
import { recoveryRoutes } from "./recovery/routes";
import {
	bulkReplayFilter,
	deferredReplayNote,
	MAX_BULK_REPLAY,
	type ReplayRefusal,
	refusalMessages,
	replayEvent,
	replayMany,
} from "./replay";

export const adminApi = new Hono<{ Bindings: Env }>();

/** Every answer, refusals and errors included, is kept by no cache: events carry personal data. */
const noStore: MiddlewareHandler = async (c, next) => {
	await next();
	c.header("Cache-Control", "no-store");
};

adminApi.use("*", adminOnly, noStore, secureHeaders(), adminBearer);

/** A ledger row as the API shows it (snake_case, as the table and the logs name its columns). */
function eventJson(event: EventSummary) {
	return {
		id: event.id,
		provider: event.provider,
		event_id: event.eventId,
		event_type: event.eventType,
		status: event.status,
		attempts: event.attempts,
		received_at: event.receivedAt,
		processed_at: event.processedAt,
		next_attempt_at: event.nextAttemptAt,
		last_error: event.lastError,
		erased_at: event.erasedAt,
	};
}

function eventDetailJson(event: EventDetail) {
	return { ...eventJson(event), subject_user_id: event.subjectUserId, payload: event.payload, raw_body: event.rawBody };
}

/** 400 for a value the API cannot read: which field, and what it expects. */
function invalid(read: Extract<Read<unknown>, { ok: false }>) {
	return {
		error: "invalid_request",
		field: read.field,
		message: `${read.field}: expected ${read.message}`,
	} as const;
}

/** A ledger id from the path: a positive whole number. */
function readId(text: string): number | undefined {
	return /^[1-9]\d{0,14}$/.test(text) ? Number(text) : undefined;
}

const invalidId = {
	error: "invalid_request",
	field: "id",
	message: "id: expected the ledger id of an event (a whole number)",
};

/** The query string's `allowed` parameters (admin/event-query.ts queryValuesOf: `status` merged, others once). */
const queryValues = (url: string, allowed: readonly string[]): Read<QueryValues> =>
	queryValuesOf(new URL(url).searchParams, allowed);

adminApi.get("/events", async (c) => {
	const values = queryValues(c.req.url, listParameters);
	if (!values.ok) return c.json(invalid(values), 400);
	const read = readEventListQuery(values.value);
	if (!read.ok) return c.json(invalid(read), 400);
	const { filter, cursor, limit } = read.value;
	const page = await listEvents(database(c.env.DATABASE_URL), filter, cursor, limit);
	return c.json({ events: page.events.map(eventJson), next_cursor: page.nextCursor });
});

adminApi.get("/events/:id", async (c) => {
	const id = readId(c.req.param("id"));
	if (id === undefined) return c.json(invalidId, 400);
	const event = await getEvent(database(c.env.DATABASE_URL), id);
	if (!event) return c.json({ error: "not_found", message: refusalMessages.not_found }, 404);
	return c.json({ event: eventDetailJson(event) });
});

const refusalStatus: Record<ReplayRefusal, 404 | 409 | 503> = {
	not_found: 404,
	erased: 409,
	unknown_provider: 409,
	not_replayable: 409,
	database_unavailable: 503,
};

adminApi.post("/events/:id/replay", async (c) => {
	const id = readId(c.req.param("id"));
	if (id === undefined) return c.json(invalidId, 400);
	const replayed = await replayEvent(c.env, id);
	if (!replayed.ok)
		return c.json(
			{ error: replayed.reason, message: refusalMessages[replayed.reason] },
			refusalStatus[replayed.reason],
		);
	const { event } = replayed;
	return c.json({
		outcome: replayed.outcome,
		event: { id: event.id, status: event.status, attempts: event.attempts, last_error: event.lastError },
		...(replayed.before === "deferred" ? { note: deferredReplayNote } : {}),
	});
});

/** The bulk replay's body: the list's filter fields, `dry_run` and `limit`; no other field. */
const bulkReplayBody = z.strictObject({
	provider: z.optional(z.string()),
	type: z.optional(z.string()),
	status: z.optional(z.union([z.string(), z.array(z.string())])),
	since: z.optional(z.union([z.string(), z.number()])),
	until: z.optional(z.union([z.string(), z.number()])),
	dry_run: z.optional(z.boolean()),
	limit: z.optional(z.number()),
});

const bulkReplayFields = [...filterFields, "dry_run", "limit"];

const notAnObject = {
	error: "invalid_json",
	message: 'Send a JSON object: the filter, dry_run and limit ({"status": "failed", "dry_run": true}).',
} as const;

/** The 400 of a body the schema refused: the first field at fault (an unknown one named as such). */
function invalidBody(error: z.core.$ZodError) {
	const [issue] = error.issues;
	if (issue?.code === "unrecognized_keys") {
		const field = String(issue.keys[0] ?? "").slice(0, 60);
		return {
			error: "invalid_request",
			field,
			message: `${field}: not a field of a bulk replay (${bulkReplayFields.join(", ")})`,
		} as const;
	}
	const field = typeof issue?.path[0] === "string" ? issue.path[0] : "(body)";
	return { error: "invalid_request", field, message: describeIssues(error) } as const;
}

/**
 * The body's filter as text fields (readFilter's input). A field given must hold a value: an empty
 * string, an empty list or a list with an empty entry is refused, not read as "any".
 */
function bodyFilterValues(body: z.infer<typeof bulkReplayBody>): Read<QueryValues> {
	const values: QueryValues = {};
	for (const field of filterFields) {
		const given = body[field];
		if (given === undefined) continue;
		const list = [given].flat().map((value) => String(value).trim());
		if (list.length === 0 || list.some((value) => value === ""))
			return { ok: false, field, message: "a value (leave the field out to filter nothing by it)" };
		values[field] = list.join(",");
	}
	return { ok: true, value: values };
}

adminApi.post("/events/replay", async (c) => {
	let body: unknown;
	try {
		body = await c.req.json();
	} catch {
		return c.json(notAnObject, 400);
	}
	// null, a list, a number: not a filter (and never "every event")
	if (body === null || typeof body !== "object" || Array.isArray(body)) return c.json(notAnObject, 400);
	const parsed = bulkReplayBody.safeParse(body);
	if (!parsed.success) return c.json(invalidBody(parsed.error), 400);
	const values = bodyFilterValues(parsed.data);
	if (!values.ok) return c.json(invalid(values), 400);
	const read = readFilter(values.value);
	if (!read.ok) return c.json(invalid(read), 400);
	const filter = bulkReplayFilter(read.value);
	if (!filter.ok) return c.json(invalid(filter), 400);
	const { dry_run: dryRun = false, limit } = parsed.data;
	const count = readCount("limit", limit === undefined ? undefined : String(limit), MAX_BULK_REPLAY, MAX_BULK_REPLAY);
	if (!count.ok) return c.json(invalid(count), 400);
	const result = await replayMany(c.env, filter.value, { dryRun, limit: count.value });
	if (!result.ok) {
		const message =
			result.reason === "enqueue_failed"
				? "The replay jobs could not be queued (see the logs); try again."
				: refusalMessages.database_unavailable;
		return c.json({ error: result.reason, message }, 503);
	}
	if (result.dryRun)
		return c.json({ dry_run: true, count: result.count, enqueue: result.enqueue, capped: result.capped });
	return c.json({ dry_run: false, enqueued: result.enqueued, capped: result.capped }, 202);
});

adminApi.get("/stats", async (c) => {
	const values = queryValues(c.req.url, ["window_hours", "at"]);
	if (!values.ok) return c.json(invalid(values), 400);
	const hours = readCount("window_hours", values.value.window_hours, 24, MAX_WINDOW_HOURS);
	if (!hours.ok) return c.json(invalid(hours), 400);
	const atText = values.value.at;
	const at = atText ? readWindowEnd("at", atText) : undefined;
	if (at && !at.ok) return c.json(invalid(at), 400);
	const s = await stats(database(c.env.DATABASE_URL), hours.value, at?.value);
	return c.json({
		window_hours: s.windowHours,
		since: s.since,
		until: s.until,
		counts: s.counts,
		totals: s.totals,
		per_hour: s.perHour,
		processing_latency_ms: s.processingLatencyMs,
		provider_delay_ms: {
			count: s.providerDelayMs.count,
			p50: s.providerDelayMs.p50,
			p95: s.providerDelayMs.p95,
			p99: s.providerDelayMs.p99,
			by_provider: s.providerDelayMs.byProvider,
		},
	});
});

// The recoveries (POST /backfill/stripe, POST /reconcile/clerk, GET /runs, GET /runs/:id), behind the same checks.
adminApi.route("/", recoveryRoutes);

/**
 * Errors of the admin routes: an HTTPException (bearerAuth's 401) is its own answer; a database that
 * cannot be reached is 503 (retry); anything else a generic 500 with the details in the log only.
 */
adminApi.onError((error, c) => {
	if (error instanceof HTTPException) return error.getResponse();
	if (isTransient(error)) {
		log("warn", "admin", { path: c.req.path, outcome: "database_unavailable", ...describeError(error) });
		return c.json({ error: "database_unavailable", message: refusalMessages.database_unavailable }, 503);
	}
	log("error", "admin", { path: c.req.path, outcome: "internal_error", ...describeError(error) });
	return c.json({ error: "internal_error", message: "Unexpected error; retry later." }, 500);
});
