/**
 * @module admin/dashboard/filters
 * The ledger filters of the dashboard's forms, read from and written to a query string: provider,
 * type, one or more statuses, and a time range. A datetime-local field carries no zone: the dashboard
 * shows and reads every time as UTC. Trust boundary: values come from the operator's browser; what
 * is not a known provider or status, or not a time, is dropped rather than passed to a query.
 */
import { type WebhookEventStatus, webhookEventStatuses } from "../../db/schema";
import { providers } from "../../providers";

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

const isStatus = (value: string): value is WebhookEventStatus =>
	(webhookEventStatuses as readonly string[]).includes(value);

/**
 * A time from a form field: `2026-11-02T14:03` (datetime-local, read as UTC), a full ISO 8601 time
 * with its zone, or unix seconds. Undefined when empty or not a time.
 */
export function parseTime(value: string | undefined): Date | undefined {
	const text = value?.trim();
	if (!text) return undefined;
	if (/^\d{1,12}$/.test(text)) return new Date(Number(text) * 1000);
	const zoned = /(Z|[+-]\d\d:?\d\d)$/i.test(text) ? text : `${text}Z`;
	const date = new Date(zoned);
	return Number.isNaN(date.getTime()) ? undefined : date;
}

/** A time as a datetime-local field shows it (UTC, to the minute); empty for none. */
export function timeField(value: Date | undefined): string {
	return value ? value.toISOString().slice(0, 16) : "";
}

/**
 * The filter a query string describes. `allowed` limits the statuses (the failures view); when the
 * query names none of them, `defaultStatuses` apply (none: any status).
 */
export function readFilter(
	query: URLSearchParams,
	options: { allowed?: readonly WebhookEventStatus[]; defaultStatuses?: WebhookEventStatus[] } = {},
): DashboardFilter {
	const filter: DashboardFilter = {};
	const provider = query.get("provider")?.trim();
	if (provider && providerNames.includes(provider)) filter.provider = provider;
	const type = query.get("type")?.trim();
	if (type) filter.type = type.slice(0, 200);
	const allowed = options.allowed ?? webhookEventStatuses;
	const statuses = [...new Set(query.getAll("status"))].filter((s) => isStatus(s) && allowed.includes(s));
	if (statuses.length > 0) filter.status = statuses as WebhookEventStatus[];
	else if (options.defaultStatuses) filter.status = [...options.defaultStatuses];
	const since = parseTime(query.get("since") ?? undefined);
	if (since) filter.since = since;
	const until = parseTime(query.get("until") ?? undefined);
	if (until) filter.until = until;
	return filter;
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
