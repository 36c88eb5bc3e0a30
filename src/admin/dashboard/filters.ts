/**
 * @module admin/dashboard/filters
 * The ledger filters of the dashboard's views, read from a query string (or a form's fields) and
 * written back to one: provider, type, one or more statuses, and a time range. They are read by the
 * admin API's own reader (admin/event-query.ts), so a filter means the same in both; a datetime-local
 * field carries no zone and is read as UTC, as the dashboard shows every time.
 * Trust boundary: values come from the operator's browser. A value that cannot be read (a status
 * that is none or that the view does not list, an impossible date, text Postgres cannot hold, a
 * parameter the view does not take) is refused with the reason (a 400 page), never dropped: dropping
 * it would widen what the view lists or a bulk replay enqueues. An empty field is not given.
 */
import type { WebhookEventStatus } from "../../db/schema";
import { providers } from "../../providers";
import { filterFields, queryValuesOf, type Read, readFilter, withStatusesAmong } from "../event-query";
import { type Cursor, decodeCursor, type EventFilter } from "../ledger-queries";
import { bulkReplayFilter } from "../replay";

/** What the dashboard filters the ledger by; the names of the shared ledger queries' filter. */
export interface DashboardFilter {
	provider?: string;
	type?: string;
	status?: WebhookEventStatus[];
	since?: Date;
	until?: Date;
}

/** The statuses the failures view lists: what an operator may need to act on. */
export const failureStatuses: WebhookEventStatus[] = ["failed", "unmatched", "dead", "deferred"];

/** Every provider's name, in the registry's order, for the provider select. */
export const providerNames: string[] = providers.map((provider) => provider.name);

/** A view that lists or selects ledger events by a filter. */
export type FilterView = "events" | "failures" | "replay";

/** A view's filter as read: `statusesNamed` when the query named statuses (else the view's defaults apply). */
export interface ViewFilter {
	filter: DashboardFilter;
	statusesNamed: boolean;
	cursor: Cursor | undefined;
}

/** The statuses a view takes, and those it shows when none is named. */
function withViewStatuses(view: FilterView, filter: EventFilter): Read<EventFilter> {
	if (view === "failures")
		return withStatusesAmong(filter, failureStatuses, failureStatuses, "the statuses the failures view lists");
	if (view === "replay") return bulkReplayFilter(filter);
	return { ok: true, value: filter };
}

/**
 * The filter of a view's query string (or of a form's fields): its filter fields, `cursor` where the
 * view pages, and the parameters in `extra` (left to the caller). Every other parameter is refused.
 */
export function readViewFilter(
	query: URLSearchParams,
	view: FilterView,
	extra: readonly string[] = [],
): Read<ViewFilter> {
	const paged = view === "replay" ? [] : ["cursor"];
	const values = queryValuesOf(query, [...filterFields, ...paged, ...extra]);
	if (!values.ok) return values;
	const read = readFilter(values.value);
	if (!read.ok) return read;
	const filter = withViewStatuses(view, read.value);
	if (!filter.ok) return filter;
	const cursorText = view === "replay" ? undefined : values.value.cursor;
	const cursor = cursorText === undefined ? undefined : decodeCursor(cursorText);
	if (cursorText !== undefined && cursor === undefined)
		return { ok: false, field: "cursor", message: "the link of the previous page, unchanged" };
	const { status, ...rest } = filter.value;
	return {
		ok: true,
		value: {
			filter: { ...rest, ...(status === undefined ? {} : { status: [status].flat() }) } as DashboardFilter,
			statusesNamed: values.value.status !== undefined,
			cursor,
		},
	};
}

/** A time as a datetime-local field shows it (UTC, to the minute); empty for none. */
export function timeField(value: Date | undefined): string {
	return value ? value.toISOString().slice(0, 16) : "";
}

/** The query string of a filter (and extra parameters), as links and hidden fields carry it. */
export function filterQuery(filter: DashboardFilter, extra: Record<string, string | undefined> = {}): URLSearchParams {
	const query = new URLSearchParams();
	if (filter.provider) query.set("provider", filter.provider);
	if (filter.type) query.set("type", filter.type);
	for (const status of filter.status ?? []) query.append("status", status);
	if (filter.since) query.set("since", filter.since.toISOString());
	if (filter.until) query.set("until", filter.until.toISOString());
	for (const [name, value] of Object.entries(extra)) if (value !== undefined) query.set(name, value);
	return query;
}
