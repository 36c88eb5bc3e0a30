/**
 * @module admin/dashboard/recovery-page
 * Recovery past the providers' retry windows: a Stripe backfill from a date (Stripe's events API,
 * the handled types only, fed through the webhook pipeline) and a Clerk reconcile (every user applied
 * as a snapshot), each started by a form and run page by page by queue jobs; the latest runs and
 * their progress below. Trust boundary: a run's error text is ours (no key, no personal data).
 */
import type { AdminRun } from "../../db/schema";
import { timeField } from "./filters";
import { formatInstant, Layout, Notice, Status } from "./layout";

const kindLabel = { stripe_backfill: "Stripe backfill", clerk_reconcile: "Clerk reconcile" } as const;

function RunCounts(props: { run: AdminRun }) {
	const { run } = props;
	const counts: [string, number][] =
		run.kind === "clerk_reconcile"
			? [
					["users", run.seen],
					["created", run.created],
					["updated", run.updated],
					["current", run.current],
					["failed", run.failed],
				]
			: [
					["events", run.seen],
					["applied", run.applied],
					["duplicates", run.duplicates],
					["failed", run.failed],
				];
	return <>{counts.map(([name, value]) => `${value} ${name}`).join(" · ")}</>;
}

function RunsTable(props: { runs: AdminRun[]; highlight?: number | undefined }) {
	if (props.runs.length === 0) return <p class="muted">No recovery has run yet.</p>;
	return (
		<table>
			<thead>
				<tr>
					<th>Run</th>
					<th>Kind</th>
					<th>Status</th>
					<th>Started (UTC)</th>
					<th>Finished (UTC)</th>
					<th class="num">Pages</th>
					<th>Counts</th>
					<th>Last error</th>
				</tr>
			</thead>
			<tbody>
				{props.runs.map((run) => (
					<tr aria-current={run.id === props.highlight ? "true" : undefined}>
						<td>
							{run.id}
							{run.id === props.highlight ? " (new)" : ""}
						</td>
						<td>{kindLabel[run.kind]}</td>
						<td>
							<Status status={run.status} />
						</td>
						<td>{formatInstant(run.startedAt)}</td>
						<td>{formatInstant(run.finishedAt)}</td>
						<td class="num">{run.pages}</td>
						<td>
							<RunCounts run={run} />
						</td>
						<td class="error-text">{run.lastError ?? ""}</td>
					</tr>
				))}
			</tbody>
		</table>
	);
}

export function RecoveryPage(props: {
	nonce: string | undefined;
	runs: AdminRun[];
	/** The run just started, if any. */
	started?: number | undefined;
	/** Why a start was refused (an unreadable date, a provider key not set). */
	refused?: string | undefined;
	/** The default of the backfill's date field. */
	defaultSince: Date;
}) {
	return (
		<Layout title="Recovery" nonce={props.nonce} current="recovery">
			{props.refused ? <Notice kind="error">{props.refused}</Notice> : null}
			{props.started !== undefined ? (
				<Notice>
					Run {props.started} started: it goes on page by page in the queue. Reload this page to follow it.
				</Notice>
			) : null}
			<div class="cards">
				<section>
					<h2>Stripe backfill</h2>
					<p class="muted">
						Lists Stripe's events since a date (Stripe keeps 30 days) and feeds the missing ones through the webhook
						pipeline; those already in the ledger are duplicates. Needs STRIPE_API_KEY.
					</p>
					<form method="post" action="/admin/recovery/stripe" class="inline">
						<label>
							Since (UTC)
							<input type="datetime-local" name="since" required value={timeField(props.defaultSince)} />
						</label>
						<button type="submit">Backfill from Stripe</button>
					</form>
				</section>
				<section>
					<h2>Clerk reconcile</h2>
					<p class="muted">
						Lists every Clerk user and applies each as a snapshot: the newest data wins, a deleted user stays deleted.
						Needs CLERK_SECRET_KEY.
					</p>
					<form method="post" action="/admin/recovery/clerk" class="inline">
						<button type="submit">Reconcile users from Clerk</button>
					</form>
				</section>
			</div>
			<h2>Runs</h2>
			<RunsTable runs={props.runs} highlight={props.started} />
		</Layout>
	);
}
