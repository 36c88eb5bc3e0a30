/**
 * @module admin/event-query
 * An operator's filter, as a query string (`?provider=stripe&status=failed,dead&since=…`) or a JSON
 * body (bulk replay) gives it, read into admin/ledger-queries.ts's `EventFilter`, for the admin API
 * and the dashboard alike. Pure. Nothing is dropped or guessed: a name the reader does not know, a
 * value it cannot read (a status that is none, an impossible date, text Postgres cannot hold) is
 * refused with the field and what it expects, never echoing the value; only an empty value in a
 * query string counts as not given (what a form's empty field sends).
 * Trust boundary: the input is an authenticated operator's, but still only text until read here.
 */
import { type WebhookEventStatus, webhookEventStatuses } from "../db/schema";
import { isStorableText } from "../webhooks/storable";
import { type Cursor, DEFAULT_PAGE_SIZE, decodeCursor, type EventFilter, MAX_PAGE_SIZE } from "./ledger-queries";

export type Read<T> = { ok: true; value: T } | { ok: false; field: string; message: string };

/** Filter values by name, one string each (`status`: one or more statuses separated by commas), or absent. */
export type QueryValues = Record<string, string | undefined>;

/** The filter's fields, as a query string and a bulk replay's body name them. */
export const filterFields = ["provider", "type", "status", "since", "until"] as const;

/** The parameters of an event list (`GET /api/admin/events`, the dashboard's events and failures views). */
export const listParameters = [...filterFields, "cursor", "limit"] as const;

const statuses = new Set<string>(webhookEventStatuses);

/** A name as an answer may quote it: the operator's own text, cut short. */
const nameOf = (name: string) => (name.length > 60 ? `${name.slice(0, 60)}…` : name);

/**
 * The values of a query string's `allowed` parameters. Every `status` is merged
 * (`status=failed&status=dead` is `status=failed,dead`); any other name may be given once; an empty
 * value is not given. A name not in `allowed` is refused (a misspelt filter would filter nothing).
 */
export function queryValuesOf(params: URLSearchParams, allowed: readonly string[]): Read<QueryValues> {
	const values: QueryValues = {};
	for (const name of new Set(params.keys())) {
		if (!allowed.includes(name))
			return { ok: false, field: nameOf(name), message: `one of the parameters ${allowed.join(", ")}` };
		const given = params
			.getAll(name)
			.map((value) => value.trim())
			.filter((value) => value !== "");
		if (given.length === 0) continue;
		if (name === "status") values.status = given.join(",");
		else if (given.length > 1) return { ok: false, field: name, message: "one value (it is given more than once)" };
		else values[name] = given[0];
	}
	return { ok: true, value: values };
}

/** `status` as one status or several separated by commas. */
function readStatuses(text: string): Read<WebhookEventStatus[]> {
	const list = text
		.split(",")
		.map((s) => s.trim())
		.filter((s) => s !== "");
	if (list.length === 0 || list.some((s) => !statuses.has(s)))
		return {
			ok: false,
			field: "status",
			message: `one or more of ${webhookEventStatuses.join(", ")}, separated by commas`,
		};
	return { ok: true, value: [...new Set(list)] as WebhookEventStatus[] };
}

/** The earliest and latest instants read, in ms: what a JS Date and a timestamptz both hold, written with a 4-digit year. */
const FIRST_MS = 0;
const LAST_MS = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

const isoInstant =
	/^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/** The ms of an ISO 8601 date or date-time, or NaN when it names no instant (a 30 February, 24:00, a zone of +25:00). */
function isoMs(text: string): number {
	const match = isoInstant.exec(text);
	if (!match) return Number.NaN;
	const part = (i: number) => Number(match[i] ?? 0);
	const [year, month, day, hour, minute, second] = [part(1), part(2), part(3), part(4), part(5), part(6)];
	const ms = Number((match[7] ?? "").padEnd(3, "0").slice(0, 3));
	const zone = /^([+-])(\d{2}):?(\d{2})?$/.exec(match[8] ?? "");
	const [zoneHours, zoneMinutes] = [Number(zone?.[2] ?? 0), Number(zone?.[3] ?? 0)];
	const valid =
		year >= 1970 &&
		month >= 1 &&
		month <= 12 &&
		day >= 1 &&
		day <= new Date(Date.UTC(year, month, 0)).getUTCDate() &&
		hour <= 23 &&
		minute <= 59 &&
		second <= 59 &&
		zoneHours <= 23 &&
		zoneMinutes <= 59;
	if (!valid) return Number.NaN;
	const offsetMs = (zone?.[1] === "-" ? -1 : 1) * (zoneHours * 60 + zoneMinutes) * 60_000;
	return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMs;
}

/**
 * An instant as ISO 8601 (`2026-05-01`, `2026-05-01T10:00`, `2026-05-01T10:00:00.5+02:00`; without a
 * zone, UTC) or unix seconds, from 1970 to 9999 (what a JS Date and Postgres' timestamptz both hold).
 * An impossible date (`2026-02-30`, `T24:00`) is refused, not rolled over.
 */
export function readInstant(field: string, text: string): Read<Date> {
	const trimmed = text.trim();
	const ms = /^\d{1,12}$/.test(trimmed) ? Number(trimmed) * 1000 : isoMs(trimmed);
	if (!Number.isFinite(ms) || ms < FIRST_MS || ms > LAST_MS)
		return {
			ok: false,
			field,
			message: "an ISO 8601 date-time (2026-05-01T10:00:00Z; without a zone, UTC) or unix seconds, from 1970 to 9999",
		};
	return { ok: true, value: new Date(ms) };
}

/** The start of 9999's last hour: a window that ends with the hour holding a later instant would end in year 10000. */
const LAST_HOUR_MS = LAST_MS + 1 - 3_600_000;

/** The instant whose clock hour ends a stats window (`at`): readInstant's, before 9999's last hour. */
export function readWindowEnd(field: string, text: string): Read<Date> {
	const read = readInstant(field, text);
	if (read.ok && read.value.getTime() >= LAST_HOUR_MS)
		return { ok: false, field, message: "an instant before 9999-12-31T23:00:00Z (the window ends with its hour)" };
	return read;
}

/** Exact text to compare with a ledger column: refused when Postgres could not hold it (NUL, an unpaired surrogate). */
function readText(field: string, text: string): Read<string> {
	if (!isStorableText(text)) return { ok: false, field, message: "text without NUL characters or unpaired surrogates" };
	return { ok: true, value: text };
}

const nonEmpty = (value: string | undefined) => (value === undefined || value.trim() === "" ? undefined : value.trim());

/**
 * The filter fields of `values` (provider, type, status, since, until); absent or empty ones are not
 * filtered on (a bulk replay's body refuses empty ones before: admin/api.ts). A provider this Worker
 * does not serve is a value like another: it matches nothing.
 */
export function readFilter(values: QueryValues): Read<EventFilter> {
	const filter: EventFilter = {};
	for (const field of ["provider", "type"] as const) {
		const text = nonEmpty(values[field]);
		if (text === undefined) continue;
		const read = readText(field, text);
		if (!read.ok) return read;
		filter[field] = read.value;
	}
	const status = nonEmpty(values.status);
	if (status !== undefined) {
		const read = readStatuses(status);
		if (!read.ok) return read;
		filter.status = read.value;
	}
	for (const field of ["since", "until"] as const) {
		const text = nonEmpty(values[field]);
		if (text === undefined) continue;
		const read = readInstant(field, text);
		if (!read.ok) return read;
		filter[field] = read.value;
	}
	return { ok: true, value: filter };
}

/**
 * Only `allowed` statuses in `filter` (a view's or a bulk replay's), `defaults` when it names none.
 * A status outside them is refused, `why` saying so.
 */
export function withStatusesAmong(
	filter: EventFilter,
	allowed: readonly WebhookEventStatus[],
	defaults: readonly WebhookEventStatus[],
	why: string,
): Read<EventFilter & { status: WebhookEventStatus[] }> {
	const named = filter.status === undefined ? undefined : [filter.status].flat();
	if (named?.some((status) => !allowed.includes(status)))
		return { ok: false, field: "status", message: `one or more of ${allowed.join(", ")} (${why})` };
	return { ok: true, value: { ...filter, status: named ?? [...defaults] } };
}

/** A whole number in [min, max], or `fallback` when absent. */
export function readCount(
	field: string,
	text: string | undefined,
	fallback: number,
	max: number,
	min = 1,
): Read<number> {
	const value = nonEmpty(text);
	if (value === undefined) return { ok: true, value: fallback };
	const n = /^\d{1,9}$/.test(value) ? Number(value) : Number.NaN;
	if (!(n >= min && n <= max)) return { ok: false, field, message: `a whole number from ${min} to ${max}` };
	return { ok: true, value: n };
}

/** A list's query: its filter, the page's cursor (none: the newest) and its size. */
export interface EventListQuery {
	filter: EventFilter;
	cursor: Cursor | undefined;
	limit: number;
}

/** Reads a list's query string: the filter, `cursor` (from a previous page) and `limit` (1 … 200, default 50). */
export function readEventListQuery(values: QueryValues): Read<EventListQuery> {
	const filter = readFilter(values);
	if (!filter.ok) return filter;
	const limit = readCount("limit", values.limit, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
	if (!limit.ok) return limit;
	const cursorText = nonEmpty(values.cursor);
	const cursor = cursorText === undefined ? undefined : decodeCursor(cursorText);
	if (cursorText !== undefined && cursor === undefined)
		return { ok: false, field: "cursor", message: "the next_cursor of a previous page, unchanged" };
	return { ok: true, value: { filter: filter.value, cursor, limit: limit.value } };
}
