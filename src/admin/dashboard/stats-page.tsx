/**
 * @module admin/dashboard/stats-page
 * The ledger over a window: the chart of events per hour by status, counts by provider and status
 * (each a link to those events), how long events waited before they applied, and how late providers
 * delivered them. Numbers only; no payload.
 */
import { type WebhookEventStatus, webhookEventStatuses } from "../../db/schema";
import type { LedgerStats, Percentiles } from "../ledger-queries";
import { ChartLegend, EventsChart } from "./chart";
import { filterQuery } from "./filters";
import { Layout } from "./layout";

/** The windows the page offers, in hours. */
export const statsWindows = [
	{ hours: 24, label: "24 hours" },
	{ hours: 72, label: "3 days" },
	{ hours: 168, label: "7 days" },
	{ hours: 720, label: "30 days" },
];

/** A duration in ms as a person reads it: `850 ms`, `12.4 s`, `3.2 min`, `5.1 h`. */
export function formatDuration(ms: number | null): string {
	if (ms === null) return "—";
	const sign = ms < 0 ? "−" : "";
	const value = Math.abs(ms);
	if (value < 1000) return `${sign}${Math.round(value)} ms`;
	if (value < 60_000) return `${sign}${(value / 1000).toFixed(1)} s`;
	if (value < 3_600_000) return `${sign}${(value / 60_000).toFixed(1)} min`;
	if (value < 86_400_000) return `${sign}${(value / 3_600_000).toFixed(1)} h`;
	return `${sign}${(value / 86_400_000).toFixed(1)} d`;
}

function PercentileRow(props: { name: string; values: Percentiles }) {
	return (
		<tr>
			<td>{props.name}</td>
			<td class="num">{props.values.count}</td>
			<td class="num">{formatDuration(props.values.p50)}</td>
			<td class="num">{formatDuration(props.values.p95)}</td>
			<td class="num">{formatDuration(props.values.p99)}</td>
		</tr>
	);
}

function PercentileTable(props: { rows: { name: string; values: Percentiles }[] }) {
	return (
		<table>
			<thead>
				<tr>
					<th />
					<th class="num">Events</th>
					<th class="num">p50</th>
					<th class="num">p95</th>
					<th class="num">p99</th>
				</tr>
			</thead>
			<tbody>
				{props.rows.map((row) => (
					<PercentileRow name={row.name} values={row.values} />
				))}
			</tbody>
		</table>
	);
}

export function StatsPage(props: { nonce: string | undefined; stats: LedgerStats }) {
	const { stats } = props;
	const statuses = webhookEventStatuses.filter((status) => stats.totals[status] > 0);
	const providers = [...new Set(stats.counts.map((row) => row.provider))];
	const countOf = (provider: string, status: WebhookEventStatus) =>
		stats.counts.find((row) => row.provider === provider && row.status === status)?.count ?? 0;
	const total = statuses.reduce((sum, status) => sum + stats.totals[status], 0);
	const link = (provider: string | undefined, status: WebhookEventStatus) =>
		`/admin/events?${filterQuery({ ...(provider ? { provider } : {}), status: [status], since: stats.since })}`;
	return (
		<Layout title="Stats" nonce={props.nonce} current="stats">
			<form method="get" action="/admin/stats" class="filters">
				<label>
					Window
					<select name="hours">
						{statsWindows.map((window) => (
							<option value={String(window.hours)} selected={window.hours === stats.windowHours}>
								{window.label}
							</option>
						))}
					</select>
				</label>
				<button type="submit">Show</button>
			</form>
			<h2>Events per hour by status</h2>
			<EventsChart hours={stats.perHour} />
			<ChartLegend />
			<h2>By provider and status</h2>
			{total === 0 ? (
				<p class="muted">No events in this window.</p>
			) : (
				<table>
					<thead>
						<tr>
							<th>Provider</th>
							{statuses.map((status) => (
								<th class="num">{status}</th>
							))}
						</tr>
					</thead>
					<tbody>
						{providers.map((provider) => (
							<tr>
								<td>{provider}</td>
								{statuses.map((status) => {
									const count = countOf(provider, status);
									return <td class="num">{count === 0 ? "" : <a href={link(provider, status)}>{count}</a>}</td>;
								})}
							</tr>
						))}
						<tr>
							<th>all</th>
							{statuses.map((status) => (
								<th class="num">
									<a href={link(undefined, status)}>{stats.totals[status]}</a>
								</th>
							))}
						</tr>
					</tbody>
				</table>
			)}
			<h2>Processing latency</h2>
			<p class="muted">
				From receipt to applied. An event applied as it arrives counts 0 ms; the figures show the wait of those applied
				later (deferred, queued, replayed).
			</p>
			<PercentileTable rows={[{ name: "all providers", values: stats.processingLatencyMs }]} />
			<h2>Provider delay</h2>
			<p class="muted">From the provider's own event time to receipt: its retries, an outage, a backfill.</p>
			<PercentileTable
				rows={[
					{ name: "all providers", values: stats.providerDelayMs },
					...Object.entries(stats.providerDelayMs.byProvider).map(([name, values]) => ({ name, values })),
				]}
			/>
			<p class="muted">Window: {stats.since.toISOString().slice(0, 16).replace("T", " ")} UTC to now.</p>
		</Layout>
	);
}
