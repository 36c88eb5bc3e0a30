/**
 * @module admin/dashboard/event-page
 * One ledger event: where it stands, its attempts and last error, the stored payload pretty-printed,
 * and the replay button. An erased payload is shown as its skeleton (src/privacy.ts) and is not
 * replayed. Trust boundary: the payload is a verified provider body, shown escaped, never as HTML.
 */
import type { EventDetail } from "../ledger-queries";
import { deferredReplayNote } from "../replay";
import { formatInstant, Layout, Notice, Status } from "./layout";

/** What a replay just did to the event, as the page's notice tells it. */
export interface ReplayNotice {
	outcome: string;
	status?: string | undefined;
	/** The event was deferred: the replay was one of its attempts. */
	deferred?: boolean | undefined;
}

/** The stored payload as indented JSON (the verified body verbatim when only it holds the event exactly). */
export function prettyPayload(event: Pick<EventDetail, "payload" | "rawBody">): string {
	if (event.rawBody !== null) {
		try {
			return JSON.stringify(JSON.parse(event.rawBody), null, 2);
		} catch {
			return event.rawBody;
		}
	}
	return JSON.stringify(event.payload, null, 2);
}

const replayExplained: Record<string, string> = {
	applied: "it ran again and applied",
	duplicate: "it had already applied: nothing changed",
	unmatched: "it ran again and still found nothing to apply to",
	deferred: "it ran again and waits for what it is about",
	failed: "it ran again and failed",
	ignored: "it ran again and is ignored",
	stale: "it ran again; a newer event had already set what it would set",
	queued: "the database was unreachable: it is queued and applies when it is back",
};

export function EventPage(props: {
	nonce: string | undefined;
	event: EventDetail;
	replayed?: ReplayNotice | undefined;
	/** Why a replay was refused, as the operator reads it. */
	refused?: string | undefined;
}) {
	const event = props.event;
	const erased = event.erasedAt !== null;
	return (
		<Layout title={`${event.provider} ${event.eventType}`} nonce={props.nonce} current="events">
			{props.replayed ? (
				<Notice kind={props.replayed.outcome === "failed" ? "error" : "info"}>
					Replayed: <strong>{props.replayed.outcome}</strong>
					{replayExplained[props.replayed.outcome] ? ` (${replayExplained[props.replayed.outcome]})` : ""}.
					{props.replayed.deferred ? ` ${deferredReplayNote}` : ""}
				</Notice>
			) : null}
			{props.refused ? <Notice kind="error">Not replayed: {props.refused}</Notice> : null}
			<dl>
				<dt>Status</dt>
				<dd>
					<Status status={event.status} />
				</dd>
				<dt>Provider</dt>
				<dd>{event.provider}</dd>
				<dt>Type</dt>
				<dd>{event.eventType}</dd>
				<dt>Event id</dt>
				<dd>
					<code>{event.eventId}</code>
				</dd>
				<dt>Ledger id</dt>
				<dd>{event.id}</dd>
				<dt>Attempts</dt>
				<dd>{event.attempts}</dd>
				<dt>Received (UTC)</dt>
				<dd>{formatInstant(event.receivedAt)}</dd>
				<dt>Processed (UTC)</dt>
				<dd>{formatInstant(event.processedAt)}</dd>
				{event.status === "deferred" ? (
					<>
						<dt>Next attempt (UTC)</dt>
						<dd>{formatInstant(event.nextAttemptAt)}</dd>
					</>
				) : null}
				<dt>Last error</dt>
				<dd class="error-text">{event.lastError ?? "—"}</dd>
				<dt>Personal data</dt>
				<dd>{erased ? `erased ${formatInstant(event.erasedAt)} UTC` : "as received"}</dd>
			</dl>
			<h2>Replay</h2>
			{erased ? (
				<p class="muted">
					This payload was erased (its user was deleted, or it passed the retention period): it cannot be replayed.
				</p>
			) : (
				<form method="post" action={`/admin/events/${event.id}/replay`} class="inline">
					<p class="muted">
						Runs the stored, verified payload again through the same code as a live delivery. An event that already
						applied (processed or ignored) is a duplicate and changes nothing.
					</p>
					{event.status === "deferred" ? <p class="muted">{deferredReplayNote}</p> : null}
					<button type="submit">Replay this event</button>
				</form>
			)}
			<h2>Payload{erased ? " (erased: its skeleton)" : ""}</h2>
			<pre>{prettyPayload(event)}</pre>
		</Layout>
	);
}
