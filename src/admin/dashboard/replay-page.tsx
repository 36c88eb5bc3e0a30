/**
 * @module admin/dashboard/replay-page
 * Bulk replay in two steps: the filter form (GET) counts what it selects (a dry run, nothing
 * changes), then a second form (POST, carrying the same filter) enqueues `replay` jobs for them, at
 * most `limit` per run. Each job re-applies its stored event as a live delivery would. Deferred
 * events are selected only when their box is ticked: each replay is one of their attempts.
 */
import type { WebhookEventStatus } from "../../db/schema";
import { deferredReplayNote } from "../replay";
import { FilterForm } from "./events-page";
import { type DashboardFilter, timeField } from "./filters";
import { Layout, Notice } from "./layout";

/** What a bulk replay enqueued: `capped` when more events matched than one run takes. */
export interface BulkReplayResult {
	enqueued: number;
	capped: boolean;
}

/** The filter as hidden fields, so the confirming POST replays exactly what was counted. */
function HiddenFilter(props: { filter: DashboardFilter }) {
	const { filter } = props;
	return (
		<>
			{filter.provider ? <input type="hidden" name="provider" value={filter.provider} /> : null}
			{filter.type ? <input type="hidden" name="type" value={filter.type} /> : null}
			{(filter.status ?? []).map((status) => (
				<input type="hidden" name="status" value={status} />
			))}
			{filter.since ? <input type="hidden" name="since" value={filter.since.toISOString()} /> : null}
			{filter.until ? <input type="hidden" name="until" value={filter.until.toISOString()} /> : null}
		</>
	);
}

export function ReplayPage(props: {
	nonce: string | undefined;
	filter: DashboardFilter;
	statuses: readonly WebhookEventStatus[];
	/** The dry run's answer, once the filter was submitted: how many match, how many one run enqueues. */
	counted?: { count: number; enqueue: number; capped: boolean } | undefined;
	result?: BulkReplayResult | undefined;
	/** Why nothing was counted or enqueued. */
	error?: string | undefined;
	limit: number;
}) {
	const { counted, result, limit } = props;
	return (
		<Layout title="Bulk replay" nonce={props.nonce} current="replay">
			{props.error ? <Notice kind="error">{props.error}</Notice> : null}
			{result ? (
				<Notice>
					Enqueued <strong>{result.enqueued}</strong> replay job{result.enqueued === 1 ? "" : "s"}
					{result.capped ? ` (capped at ${limit} per run: replay again for the rest)` : ""}. They apply within a few
					seconds; see the <a href="/admin/failures">failures</a>.
				</Notice>
			) : null}
			<p class="muted">
				Choose the events, count them (nothing changes), then replay them through the queue. Processed and ignored
				events are duplicates and change nothing; erased payloads are skipped. Times are UTC
				{props.filter.since ? ` (from ${timeField(props.filter.since)})` : ""}. Deferred events are replayed only when
				ticked. {deferredReplayNote}
			</p>
			<FilterForm
				action="/admin/replay"
				filter={props.filter}
				statuses={props.statuses}
				submit="Count (dry run)"
				hidden={{ dry_run: "1" }}
			/>
			{counted === undefined ? null : (
				<form method="post" action="/admin/replay" class="inline">
					<p>
						<strong data-testid="dry-run-count">{counted.count}</strong> event{counted.count === 1 ? "" : "s"} match;
						one run enqueues <strong data-testid="dry-run-enqueue">{counted.enqueue}</strong>
						{counted.capped ? ` (the oldest: at most ${limit} per run; replay again for the rest)` : ""}.
					</p>
					<HiddenFilter filter={props.filter} />
					<button type="submit" disabled={counted.enqueue === 0}>
						Replay {counted.enqueue} event{counted.enqueue === 1 ? "" : "s"}
					</button>
				</form>
			)}
		</Layout>
	);
}
