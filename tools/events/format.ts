/**
 * How the events CLI (tools/events.ts) prints the admin API's answers for a person: one line per
 * event or run, a block for one event with its payload pretty-printed. Pure (JSON in, text out);
 * `--json` prints the answers as they came instead. Trust boundary: the values are a webhook
 * sender's (an event type, an id, a payload): every one is printed through tools/terminal-text.ts,
 * so that none carries a control character to the terminal.
 */
import { terminalText } from "../terminal-text.ts";

type Json = Record<string, unknown>;

/** A value as one line of text, its control characters escaped. */
const text = (value: unknown) => (value === null || value === undefined ? "" : terminalText(String(value)));
/** An instant as the API gives it (ISO 8601), to the second. */
const instant = (value: unknown) => (value ? text(value).replace(/\.\d+Z$/, "Z") : "—");

/** One line per event: id, received, provider, type, status (attempts), event id, last error. */
export function eventLines(events: Json[]): string[] {
	if (events.length === 0) return ["no events"];
	const rows = events.map((e) => [
		`#${text(e.id)}`,
		instant(e.received_at),
		text(e.provider),
		text(e.event_type),
		`${text(e.status)}${Number(e.attempts) > 1 ? ` ×${text(e.attempts)}` : ""}`,
		text(e.event_id),
		e.last_error ? `— ${text(e.last_error)}` : "",
	]);
	return alignColumns(rows);
}

/** One event: its fields, then its stored payload (an erased one as its skeleton). */
export function eventBlock(event: Json): string[] {
	const lines = [
		`#${text(event.id)} ${text(event.provider)} ${text(event.event_type)} (${text(event.event_id)})`,
		`  status        ${text(event.status)} (${text(event.attempts)} attempt${Number(event.attempts) === 1 ? "" : "s"})`,
		`  received      ${instant(event.received_at)}`,
		`  processed     ${instant(event.processed_at)}`,
	];
	if (event.next_attempt_at) lines.push(`  next attempt  ${instant(event.next_attempt_at)}`);
	if (event.last_error) lines.push(`  last error    ${text(event.last_error)}`);
	if (event.subject_user_id) lines.push(`  user          ${text(event.subject_user_id)}`);
	if (event.erased_at)
		lines.push(`  erased        ${instant(event.erased_at)} (personal data removed from the payload)`);
	lines.push("payload:", terminalText(JSON.stringify(event.payload, null, 2) ?? "", { multiline: true }));
	if (event.raw_body)
		lines.push(
			"raw body (what the payload could not hold exactly):",
			terminalText(String(event.raw_body), { multiline: true }),
		);
	return lines;
}

/** A single replay's outcome. */
export function replayLine(answer: Json): string {
	const event = (answer.event ?? {}) as Json;
	const error = event.last_error ? ` — ${text(event.last_error)}` : "";
	const attempts = `${text(event.attempts)} attempt${Number(event.attempts) === 1 ? "" : "s"}`;
	const line = `#${text(event.id)} replayed: ${text(answer.outcome)}, now ${text(event.status)} (${attempts})${error}`;
	// a deferred event's replay was one of its attempts: the API says so
	return answer.note ? `${line}\n${text(answer.note)}` : line;
}

/** A bulk replay's answer: the dry run's count and how many of them it would enqueue, or what was enqueued. */
export function bulkReplayLine(answer: Json): string {
	if (answer.dry_run) {
		const capped = answer.capped ? " (the oldest, capped by --limit or 1000: run it again for the rest)" : "";
		return `${text(answer.count)} event(s) match, ${text(answer.enqueue)} would be queued${capped}: nothing replayed (dry run)`;
	}
	const capped = answer.capped ? " (capped: run it again for the rest)" : "";
	return `${text(answer.enqueued)} event(s) queued for replay${capped}`;
}

/** One line per run: id, kind, status, progress, times, last error. */
export function runLines(runs: Json[]): string[] {
	if (runs.length === 0) return ["no runs"];
	return alignColumns(
		runs.map((run) => {
			const counts =
				run.kind === "clerk_reconcile"
					? `seen ${text(run.seen)}, created ${text(run.created)}, updated ${text(run.updated)}, current ${text(run.current)}, failed ${text(run.failed)}`
					: `seen ${text(run.seen)}, applied ${text(run.applied)}, duplicates ${text(run.duplicates)}, failed ${text(run.failed)}`;
			return [
				`run #${text(run.id)}`,
				text(run.kind),
				text(run.status),
				`${text(run.pages)} page(s): ${counts}`,
				`started ${instant(run.started_at)}`,
				run.finished_at ? `finished ${instant(run.finished_at)}` : "",
				run.last_error ? `— ${text(run.last_error)}` : "",
			];
		}),
	);
}

/** Pads every column but the last to its widest cell. */
function alignColumns(rows: string[][]): string[] {
	const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
	return rows.map((row) =>
		row
			.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
			.join("  ")
			.trimEnd(),
	);
}
