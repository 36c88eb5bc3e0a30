/**
 * @module admin/event-query
 * An operator's filter, as a query string (`?provider=stripe&status=failed,dead&since=…`) or a JSON
 * body (bulk replay) gives it, read into admin/ledger-queries.ts's `EventFilter`. Pure; the answer
 * to a value it cannot read names the field and what it expects, never echoes the value.
 * Trust boundary: the input is an authenticated operator's, but still only text until read here.
 */
import { type WebhookEventStatus, webhookEventStatuses } from "../db/schema";
import { type Cursor, DEFAULT_PAGE_SIZE, decodeCursor, type EventFilter, MAX_PAGE_SIZE } from "./ledger-queries";

export type Read<T> = { ok: true; value: T } | { ok: false; field: string; message: string };

/** What a query string's values may be: one string each (the first when repeated), or absent. */
export type QueryValues = Record<string, string | undefined>;

const statuses = new Set<string>(webhookEventStatuses);

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

/** An instant as ISO 8601 (`2026-05-01`, `2026-05-01T10:00:00Z`) or unix seconds, within 1970 … 9999. */
export function readInstant(field: string, text: string): Read<Date> {
	const trimmed = text.trim();
	const ms = /^\d{1,12}$/.test(trimmed)
		? Number(trimmed) * 1000
		: /^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/i.test(trimmed)
			? Date.parse(trimmed)
			: Number.NaN;
	if (!Number.isFinite(ms) || ms < 0 || ms > 253_402_300_799_000)
		return { ok: false, field, message: "an ISO 8601 date-time (2026-05-01T10:00:00Z) or unix seconds" };
	return { ok: true, value: new Date(ms) };
}

const nonEmpty = (value: string | undefined) => (value === undefined || value.trim() === "" ? undefined : value.trim());

/** The filter fields of `values` (provider, type, status, since, until); absent or empty ones are not filtered on. */
export function readFilter(values: QueryValues): Read<EventFilter> {
	const filter: EventFilter = {};
	const provider = nonEmpty(values.provider);
	if (provider !== undefined) filter.provider = provider;
	const type = nonEmpty(values.type);
	if (type !== undefined) filter.type = type;
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
