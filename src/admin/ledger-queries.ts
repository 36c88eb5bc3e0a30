/**
 * @module admin/ledger-queries
 * What the operator reads from the ledger (`webhook_events`), shared by the admin API (admin/api.ts)
 * and the dashboard: a filtered list, newest first, paged by an opaque cursor; one event with its
 * stored payload; and the stats of a window (counts by provider and status, events per hour, the
 * processing latency and the provider's delay). Reading a query string into a filter is here too, so
 * that both read `?provider=…&status=…` alike. Trust boundary: callers are authenticated operators;
 * payloads are shown as stored (an erased one stays its skeleton, src/privacy.ts); values from the
 * query string reach SQL only as parameters, after validation.
 */
import { and, desc, eq, gte, inArray, isNotNull, lt, or, type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { type WebhookEventStatus, webhookEventStatuses, webhookEvents } from "../db/schema";
import { eventTimeColumn, eventTimeMs } from "./event-time";

/** Which events to list (every field optional; `until` excluded). */
export interface EventFilter {
	provider?: string | undefined;
	/** The ledger's `event_type`, exactly. */
	type?: string | undefined;
	status?: WebhookEventStatus | WebhookEventStatus[] | undefined;
	/** Received at or after. */
	since?: Date | undefined;
	/** Received before. */
	until?: Date | undefined;
}

/** A page size when none is asked for, and the largest one allowed (events). */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** One ledger row as a list shows it (no payload). */
export interface EventSummary {
	id: number;
	provider: string;
	eventId: string;
	eventType: string;
	status: WebhookEventStatus;
	attempts: number;
	receivedAt: Date;
	processedAt: Date | null;
	lastError: string | null;
	erasedAt: Date | null;
	nextAttemptAt: Date | null;
}

/** One ledger row with what it stores. */
export interface EventDetail extends EventSummary {
	/** The stored payload (jsonb, parsed): an erased event's skeleton (src/privacy.ts). */
	payload: unknown;
	/** The verified body verbatim, kept only when `payload` could not hold it exactly; null once erased. */
	rawBody: string | null;
	subjectUserId: string | null;
}

export interface EventPage {
	events: EventSummary[];
	/** Pass it back as `cursor` for the next (older) page; null on the last page. */
	nextCursor: string | null;
}

const e = webhookEvents;

const summaryColumns = {
	id: e.id,
	provider: e.provider,
	eventId: e.eventId,
	eventType: e.eventType,
	status: e.status,
	attempts: e.attempts,
	receivedAt: e.receivedAt,
	processedAt: e.processedAt,
	lastError: e.lastError,
	erasedAt: e.erasedAt,
	nextAttemptAt: e.nextAttemptAt,
};

/** `received_at` to the microsecond (a JS Date holds milliseconds only), UTC, for the cursor. */
const receivedAtText = sql<string>`to_char(${e.receivedAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** The position after which the next page starts: the last row's `received_at` (µs, as text) and id. */
export interface Cursor {
	receivedAt: string;
	id: number;
}

const cursorShape = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\.\d{6}Z\|(\d{1,15})$/;

/** The opaque cursor of a position: base64url of `<received_at>|<id>`. */
function encodeCursor(cursor: Cursor): string {
	return btoa(`${cursor.receivedAt}|${cursor.id}`).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The position a cursor names; undefined when it is not one of ours (or names an impossible time). */
export function decodeCursor(text: string): Cursor | undefined {
	if (!/^[A-Za-z0-9_-]{1,100}$/.test(text)) return undefined;
	let decoded: string;
	try {
		decoded = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
	} catch {
		return undefined;
	}
	const match = cursorShape.exec(decoded);
	if (!match) return undefined;
	const [receivedAt, seconds, id] = [decoded.slice(0, decoded.indexOf("|")), match[1] ?? "", match[2] ?? ""];
	// a time Postgres would refuse (2024-02-30) is refused here, not by the database
	const parsed = new Date(`${seconds}Z`);
	if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 19) !== seconds) return undefined;
	return { receivedAt, id: Number(id) };
}

/** The SQL condition of a filter (undefined: every event). */
export function eventCondition(filter: EventFilter): SQL | undefined {
	const statuses = filter.status === undefined ? undefined : [filter.status].flat();
	return and(
		filter.provider === undefined ? undefined : eq(e.provider, filter.provider),
		filter.type === undefined ? undefined : eq(e.eventType, filter.type),
		statuses === undefined ? undefined : inArray(e.status, statuses),
		filter.since === undefined ? undefined : gte(e.receivedAt, filter.since),
		filter.until === undefined ? undefined : lt(e.receivedAt, filter.until),
	);
}

/** The events after `cursor` (undefined: from the newest): (received_at, id) strictly below it. */
function afterCursor(cursor: Cursor | undefined): SQL | undefined {
	if (!cursor) return undefined;
	const at = sql`${cursor.receivedAt}::timestamptz`;
	return or(lt(e.receivedAt, at), and(eq(e.receivedAt, at), lt(e.id, cursor.id)));
}

/**
 * The events `filter` selects, newest first by (received_at, id), `limit` of them (1…MAX_PAGE_SIZE)
 * after `cursor` (decodeCursor; undefined for the first page). One query; the next page's cursor is
 * the last row's position when there may be more.
 */
export async function listEvents(
	db: Database,
	filter: EventFilter,
	cursor: Cursor | undefined,
	limit: number = DEFAULT_PAGE_SIZE,
): Promise<EventPage> {
	const size = Math.min(MAX_PAGE_SIZE, Math.max(1, Math.trunc(limit)));
	const rows = await db
		.select({ ...summaryColumns, position: receivedAtText })
		.from(e)
		.where(and(eventCondition(filter), afterCursor(cursor)))
		.orderBy(desc(e.receivedAt), desc(e.id))
		.limit(size + 1);
	const page = rows.slice(0, size);
	const last = page.at(-1);
	return {
		events: page.map(({ position: _, ...event }) => event),
		nextCursor: rows.length > size && last ? encodeCursor({ receivedAt: last.position, id: last.id }) : null,
	};
}

/** How many events `filter` selects (for a bulk replay's dry run). */
export async function countEvents(db: Database, filter: EventFilter, extra?: SQL): Promise<number> {
	const [row] = await db
		.select({ count: sql<number>`count(*)::int` })
		.from(e)
		.where(and(eventCondition(filter), extra));
	return row?.count ?? 0;
}

/** The ledger row `id` with its payload, or undefined. */
export async function getEvent(db: Database, id: number): Promise<EventDetail | undefined> {
	const [row] = await db
		.select({
			...summaryColumns,
			// jsonb as text, parsed here: drizzle's own parsing would not keep a top-level string
			payloadText: sql<string>`${e.payload}::text`,
			rawBody: e.rawBody,
			subjectUserId: e.subjectUserId,
		})
		.from(e)
		.where(eq(e.id, id));
	if (!row) return undefined;
	const { payloadText, ...rest } = row;
	return { ...rest, payload: JSON.parse(payloadText) };
}

/** Percentiles of a set of durations, in milliseconds (null when the set is empty). */
export interface Percentiles {
	count: number;
	p50: number | null;
	p95: number | null;
	p99: number | null;
}

/** The ledger over a window of whole hours, for the stats endpoint and the dashboard's chart. */
export interface LedgerStats {
	windowHours: number;
	/** The window: from the first hour's start to the last hour's end (excluded). */
	since: Date;
	until: Date;
	/** Events received in the window per provider and status (only the pairs that occur). */
	counts: { provider: string; status: WebhookEventStatus; count: number }[];
	/** Per status, over every provider. */
	totals: Record<WebhookEventStatus, number>;
	/** One entry per hour of the window, oldest first (the last is the current, partial hour). */
	perHour: { hour: Date; counts: Record<WebhookEventStatus, number> }[];
	/**
	 * `processed_at − received_at` of the window's events that have a `processed_at`, in ms. Both are
	 * the transaction's time when an event is applied as it arrives (0 ms): the figure measures the
	 * wait of events applied later (a deferred parcel, a failure replayed).
	 */
	processingLatencyMs: Percentiles;
	/**
	 * `received_at − the provider's own event time` (admin/event-time.ts), in ms: how late providers
	 * deliver (retries, outages, a backfill). Per provider and overall; computed over the window's
	 * latest `DELAY_SAMPLE` events that carry a readable time.
	 */
	providerDelayMs: Percentiles & { byProvider: Record<string, Percentiles> };
}

/** The largest window the stats take, in hours (31 days). */
export const MAX_WINDOW_HOURS = 744;
/** How many of the window's latest events the provider delay is computed from. */
export const DELAY_SAMPLE = 5000;

const zeroCounts = (): Record<WebhookEventStatus, number> =>
	Object.fromEntries(webhookEventStatuses.map((status) => [status, 0])) as Record<WebhookEventStatus, number>;

const HOUR_MS = 3_600_000;

/**
 * The stats of the `windowHours` clock hours (1…MAX_WINDOW_HOURS, UTC) that end with the hour holding
 * `at` (by default now: the current hour, partial, is the last). Events count by `received_at`. One
 * database round trip (four queries in one batch).
 */
export async function stats(db: Database, windowHours: number, at: Date = new Date()): Promise<LedgerStats> {
	const hours = Math.min(MAX_WINDOW_HOURS, Math.max(1, Math.trunc(windowHours)));
	const firstHour = Math.floor(at.getTime() / HOUR_MS) - (hours - 1);
	const since = new Date(firstHour * HOUR_MS);
	const until = new Date((firstHour + hours) * HOUR_MS);
	const inWindow = and(gte(e.receivedAt, since), lt(e.receivedAt, until));
	const count = sql<number>`count(*)::int`;
	const latency = sql`extract(epoch from ${e.processedAt} - ${e.receivedAt}) * 1000`;
	const percentile = (p: number) =>
		sql<number | null>`percentile_cont(${sql.raw(String(p))}) within group (order by ${latency})`;
	const [counts, hourly, [processing], sample] = await db.batch([
		db
			.select({ provider: e.provider, status: e.status, count })
			.from(e)
			.where(inWindow)
			.groupBy(e.provider, e.status)
			.orderBy(e.provider, e.status),
		// hours since the epoch: independent of the session's time zone
		db
			.select({
				hour: sql<number>`floor(extract(epoch from ${e.receivedAt}) / 3600)::bigint`.mapWith(Number),
				status: e.status,
				count,
			})
			.from(e)
			.where(inWindow)
			.groupBy(sql`1`, e.status),
		db
			.select({ count, p50: percentile(0.5), p95: percentile(0.95), p99: percentile(0.99) })
			.from(e)
			.where(and(inWindow, isNotNull(e.processedAt))),
		db
			.select({ provider: e.provider, receivedAt: e.receivedAt, eventTime: eventTimeColumn(e.provider, e.payload) })
			.from(e)
			.where(inWindow)
			.orderBy(desc(e.receivedAt))
			.limit(DELAY_SAMPLE),
	]);
	const totals = zeroCounts();
	for (const row of counts) totals[row.status] += row.count;
	const perHour = Array.from({ length: hours }, (_, i) => ({
		hour: new Date((firstHour + i) * HOUR_MS),
		counts: zeroCounts(),
	}));
	for (const row of hourly) {
		const slot = perHour[row.hour - firstHour];
		if (slot) slot.counts[row.status] += row.count;
	}
	const delays = new Map<string, number[]>();
	for (const row of sample) {
		const at = eventTimeMs(row.provider, row.eventTime);
		if (at === undefined) continue;
		const list = delays.get(row.provider) ?? [];
		list.push(row.receivedAt.getTime() - at);
		delays.set(row.provider, list);
	}
	const byProvider = Object.fromEntries([...delays].map(([provider, list]) => [provider, percentilesOf(list)]));
	return {
		windowHours: hours,
		since,
		until,
		counts,
		totals,
		perHour,
		processingLatencyMs: {
			count: processing?.count ?? 0,
			p50: roundedOrNull(processing?.p50),
			p95: roundedOrNull(processing?.p95),
			p99: roundedOrNull(processing?.p99),
		},
		providerDelayMs: { ...percentilesOf([...delays.values()].flat()), byProvider },
	};
}

const roundedOrNull = (value: number | string | null | undefined) =>
	value === null || value === undefined ? null : Math.round(Number(value));

/** Percentiles by linear interpolation between the closest ranks (as Postgres' percentile_cont). */
export function percentilesOf(values: number[]): Percentiles {
	const sorted = [...values].sort((a, b) => a - b);
	const at = (p: number) => {
		if (sorted.length === 0) return null;
		const rank = p * (sorted.length - 1);
		const low = Math.floor(rank);
		const high = Math.ceil(rank);
		const lowValue = sorted[low] ?? 0;
		return Math.round(lowValue + ((sorted[high] ?? lowValue) - lowValue) * (rank - low));
	};
	return { count: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}
