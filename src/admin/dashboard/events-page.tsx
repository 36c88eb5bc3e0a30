/**
 * @module admin/dashboard/events-page
 * The events view (every status) and the failures view (`failed`, `unmatched`, `dead`, `deferred`):
 * a filter form (GET, so a view is a link), the ledger rows newest first, and a link to the older
 * page. Trust boundary: rows are shown as stored; an error text is the ledger's, which holds no
 * personal data (src/ledger.ts).
 */
import type { WebhookEventStatus } from "../../db/schema";
import type { EventSummary } from "../ledger-queries";
import { type DashboardFilter, filterQuery, providerNames, timeField } from "./filters";
import { formatInstant, Layout, Status } from "./layout";

/** The filter form; `statuses` are the checkboxes offered (the failures view offers its four). */
export function FilterForm(props: {
	action: string;
	filter: DashboardFilter;
	statuses: readonly WebhookEventStatus[];
	submit?: string;
	/** Fields the form sends as they are (bulk replay's `dry_run`). */
	hidden?: Record<string, string>;
}) {
	const chosen = new Set(props.filter.status ?? []);
	return (
		<form method="get" action={props.action} class="filters">
			{Object.entries(props.hidden ?? {}).map(([name, value]) => (
				<input type="hidden" name={name} value={value} />
			))}
			<label>
				Provider
				<select name="provider">
					<option value="">any</option>
					{/* a provider this Worker does not serve (it matches nothing), kept so that the form shows the filter */}
					{props.filter.provider && !providerNames.includes(props.filter.provider) ? (
						<option value={props.filter.provider} selected>
							{props.filter.provider}
						</option>
					) : null}
					{providerNames.map((name) => (
						<option value={name} selected={props.filter.provider === name}>
							{name}
						</option>
					))}
				</select>
			</label>
			<label>
				Type
				<input name="type" value={props.filter.type ?? ""} placeholder="payment_intent.succeeded" size={24} />
			</label>
			<fieldset>
				<legend>Status</legend>
				{props.statuses.map((status) => (
					<label class="check">
						<input type="checkbox" name="status" value={status} checked={chosen.has(status)} />
						{status}
					</label>
				))}
			</fieldset>
			<label>
				Received from (UTC)
				<input type="datetime-local" name="since" value={timeField(props.filter.since)} />
			</label>
			<label>
				until (UTC)
				<input type="datetime-local" name="until" value={timeField(props.filter.until)} />
			</label>
			<button type="submit">{props.submit ?? "Filter"}</button>
		</form>
	);
}

/** The ledger rows as a table; each event id links to its detail page. */
export function EventsTable(props: { events: EventSummary[] }) {
	if (props.events.length === 0) return <p class="muted">No events match.</p>;
	return (
		<table>
			<thead>
				<tr>
					<th>Received (UTC)</th>
					<th>Provider</th>
					<th>Type</th>
					<th>Event id</th>
					<th>Status</th>
					<th class="num">Attempts</th>
					<th>Last error</th>
				</tr>
			</thead>
			<tbody>
				{props.events.map((event) => (
					<tr>
						<td>{formatInstant(event.receivedAt)}</td>
						<td>{event.provider}</td>
						<td>{event.eventType}</td>
						<td>
							<a href={`/admin/events/${event.id}`}>
								<code>{event.eventId}</code>
							</a>
						</td>
						<td>
							<Status status={event.status} />
							{event.status === "deferred" && event.nextAttemptAt ? (
								<span class="muted"> next {formatInstant(event.nextAttemptAt)}</span>
							) : null}
						</td>
						<td class="num">{event.attempts}</td>
						<td class="error-text">{event.lastError ?? ""}</td>
					</tr>
				))}
			</tbody>
		</table>
	);
}

/** The events or failures page. `nextCursor` links to the older page with the same filter. */
export function EventsPage(props: {
	view: "events" | "failures";
	nonce: string | undefined;
	filter: DashboardFilter;
	/** The query named the statuses (else the view's defaults were used, and the bulk link names none). */
	statusesNamed: boolean;
	statuses: readonly WebhookEventStatus[];
	events: EventSummary[];
	nextCursor: string | null;
	notice?: string;
}) {
	const action = `/admin/${props.view}`;
	// bulk replay takes its own default statuses (not deferred) unless these were chosen
	const { status: _, ...unnamed } = props.filter;
	const bulkFilter = props.statusesNamed ? props.filter : unnamed;
	const title = props.view === "failures" ? "Failures" : "Events";
	return (
		<Layout title={title} nonce={props.nonce} current={props.view}>
			{props.view === "failures" ? (
				<p class="muted">
					Events that did not apply: <strong>failed</strong> (an error), <strong>unmatched</strong> (about a row that
					does not exist), <strong>dead</strong> (gave up after the queue's retries) and <strong>deferred</strong>{" "}
					(waiting to run again). Fix the cause, then replay them one by one or{" "}
					<a href={`/admin/replay?${filterQuery(bulkFilter, { dry_run: "1" })}`}>in bulk</a>.
				</p>
			) : null}
			<FilterForm action={action} filter={props.filter} statuses={props.statuses} />
			<EventsTable events={props.events} />
			{props.nextCursor ? (
				<p class="pager">
					<a href={`${action}?${filterQuery(props.filter, { cursor: props.nextCursor })}`} rel="next">
						Older events →
					</a>
				</p>
			) : null}
		</Layout>
	);
}
