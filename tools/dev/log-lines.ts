/**
 * @module tools/dev/log-lines
 * What the `npm run dev` terminal shows of `wrangler dev`'s output. The Worker logs one JSON line per
 * webhook (for `wrangler tail` and Workers Logs); here each becomes one short human line: time,
 * provider, event type, event id, outcome, status, milliseconds, the reason when it was not
 * applied, and the alert it raised (a payment that does not cover its order, a dispute). `npm run dev -- --json` shows the JSON lines bare instead (`jsonFormatter`).
 * Either way, a secret a sender puts in the URL's query string (`?token=…`, how Shippo authenticates)
 * is hidden in every line wrangler prints (its request lines carry the URL). Trust boundary: a log
 * entry's values are a webhook sender's (an event type, an id): every one is printed with its control
 * characters escaped (tools/terminal-text.ts), so that none reaches the terminal as an escape sequence.
 */
import { styleText } from "node:util";
import { terminalJson, terminalText } from "../terminal-text.ts";

type Color = Parameters<typeof styleText>[0];

/** wrangler decorates console.warn/console.error lines: `▲ [WARNING] …`, `✘ [ERROR] …`, with colours. */
const wranglerDecoration = /^(?:▲ \[WARNING\]|✘ \[ERROR\]) /;
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences are what we strip
const ansi = /\u001b\[[0-9;]*m/g;

const outcomeColors: Record<string, Color> = {
	applied: "green",
	stale: "gray",
	duplicate: "gray",
	ignored: "gray",
	unmatched: "yellow",
	failed: "red",
	rejected: "yellow",
};

/** HH:MM:SS in local time. */
function clock(now: Date): string {
	return now.toTimeString().slice(0, 8);
}

/** A value as one line of text, its control characters escaped. */
function text(value: unknown): string {
	return value === null || value === undefined ? "-" : terminalText(String(value));
}

/**
 * An alert the line carries (src/webhooks/provider.ts), in a few words: what to act on and by when.
 * The JSON line (`npm run dev -- --json`) has all its fields.
 */
function alertSummary(entry: Record<string, unknown>): string | undefined {
	const money = (amount: unknown, currency: unknown) => `${text(amount)} ${text(currency)}`;
	switch (entry.alert) {
		case undefined:
		case null:
			return undefined;
		case "payment_mismatch":
			return `payment_mismatch: ${text(entry.order_id)} received ${money(entry.amount_received, entry.currency_received)} of ${money(entry.amount_due, entry.currency_due)}`;
		case "dispute": {
			// the deadline matters while the shop has yet to answer
			const open = entry.dispute_status === "needs_response" && typeof entry.respond_by === "string";
			const respondBy = open ? `, respond by ${text(entry.respond_by)}` : "";
			return `dispute ${text(entry.dispute_id)} ${text(entry.dispute_status)}: ${money(entry.disputed_amount, entry.currency)} ${text(entry.dispute_reason)}${respondBy}`;
		}
		default:
			return text(entry.alert);
	}
}

function webhookLine(entry: Record<string, unknown>, now: Date, paint: (color: Color, text: string) => string) {
	const outcome = text(entry.outcome);
	const status = Number(entry.status);
	const color = status >= 500 ? "red" : (outcomeColors[outcome] ?? "white");
	const why = [entry.reason, entry.error_code]
		.filter((v) => v !== undefined && v !== null)
		.map(text)
		.join(" ");
	const alert = alertSummary(entry);
	return [
		paint("gray", clock(now)),
		text(entry.provider).padEnd(6),
		text(entry.event_type).padEnd(28),
		text(entry.event_id).padEnd(32),
		paint(color, `${outcome.padEnd(9)} ${text(entry.status)}`),
		`${text(entry.duration_ms).padStart(4)} ms`,
		...(why ? [paint(color, why)] : []),
		...(alert ? [paint(entry.level === "error" ? "red" : "yellow", `alert ${alert}`)] : []),
	].join("  ");
}

function otherLine(entry: Record<string, unknown>, now: Date, paint: (color: Color, text: string) => string) {
	const { level, message, ...fields } = entry;
	const color: Color = level === "error" ? "red" : level === "warn" ? "yellow" : "white";
	const details = Object.entries(fields).map(
		([key, value]) => `${terminalText(key)}=${terminalJson(JSON.stringify(value) ?? "undefined")}`,
	);
	return [paint("gray", clock(now)), paint(color, `${text(level)} ${text(message)}`), ...details].join("  ");
}

export interface Formatter {
	/** The line to print for one line of wrangler's output, or null to print nothing. */
	format(line: string, now?: Date): string | null;
}

/** The Worker's structured log entry in an undecorated line, or undefined for any other line. */
function workerEntry(body: string): Record<string, unknown> | undefined {
	if (!body.startsWith("{")) return undefined;
	try {
		const entry: unknown = JSON.parse(body);
		return typeof entry === "object" && entry !== null && "level" in entry && "message" in entry
			? (entry as Record<string, unknown>)
			: undefined;
	} catch {
		return undefined;
	}
}

/** Query parameters whose value is a secret (src/signatures/query-token.ts): `token=`. */
const secretParameter = /([?&]token=)[^&\s"'#]*/gi;

/** `line` with the value of every secret query parameter replaced by `[redacted]`. */
export function redactSecrets(line: string): string {
	return line.replace(secretParameter, "$1[redacted]");
}

/**
 * A formatter for one output stream: `show` renders each of the Worker's log entries (given the
 * entry and its JSON text without wrangler's decoration); `drop` says which other lines to hide.
 * The blank lines wrangler prints after a decorated console.warn/console.error line are hidden;
 * every other line passes unchanged but for its secrets (`redactSecrets`).
 */
function formatter(
	show: (entry: Record<string, unknown>, json: string, now: Date) => string,
	drop = (_plain: string) => false,
): Formatter {
	let afterDecorated = false;
	return {
		format(received, now = new Date()) {
			const line = redactSecrets(received);
			const plain = line.replace(ansi, "").trimEnd();
			if (afterDecorated && plain === "") return null;
			afterDecorated = false;
			if (drop(plain)) return null;
			const json = plain.replace(wranglerDecoration, "");
			const entry = workerEntry(json);
			if (!entry) return line;
			afterDecorated = json !== plain;
			return show(entry, json, now);
		},
	};
}

/** wrangler's own request line for a webhook (not for a 404): the webhook line says more. */
const webhookRequestLine = (plain: string) =>
	/^\[wrangler:info\] POST \/api\/webhooks\/\S+ [0-9]{3} /.test(plain) && !/ 404 /.test(plain);

/** One human line per Worker log entry; `color` enables ANSI colours. */
export function humanFormatter(color: boolean): Formatter {
	const paint = (style: Color, value: string) => (color ? styleText(style, value, { validateStream: false }) : value);
	return formatter(
		(entry, _json, now) =>
			entry.message === "webhook" ? webhookLine(entry, now, paint) : otherLine(entry, now, paint),
		webhookRequestLine,
	);
}

/**
 * For `npm run dev -- --json`: the Worker's JSON lines bare, one per line, as `wrangler tail` and
 * Workers Logs get them (without wrangler's decoration of console.warn/console.error); DEL and C1
 * control characters in their strings escaped (still JSON, the same values).
 */
export function jsonFormatter(): Formatter {
	return formatter((_entry, json) => terminalJson(json));
}
