/**
 * @module tools/dev/log-lines
 * What the `npm run dev` terminal shows of `wrangler dev`'s output. The Worker logs one JSON line per
 * webhook (for `wrangler tail` and Workers Logs); here each becomes one short human line: time,
 * provider, event type, event id, outcome, status, milliseconds, and the reason when it was not
 * applied. `npm run dev -- --json` shows the JSON lines bare instead (`jsonFormatter`).
 */
import { styleText } from "node:util";

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

function text(value: unknown): string {
	return value === null || value === undefined ? "-" : String(value);
}

function webhookLine(entry: Record<string, unknown>, now: Date, paint: (color: Color, text: string) => string) {
	const outcome = text(entry.outcome);
	const status = Number(entry.status);
	const color = status >= 500 ? "red" : (outcomeColors[outcome] ?? "white");
	const why = [entry.reason, entry.error_code].filter((v) => v !== undefined && v !== null).join(" ");
	return [
		paint("gray", clock(now)),
		text(entry.provider).padEnd(6),
		text(entry.event_type).padEnd(28),
		text(entry.event_id).padEnd(32),
		paint(color, `${outcome.padEnd(9)} ${text(entry.status)}`),
		`${text(entry.duration_ms).padStart(4)} ms`,
		...(why ? [paint(color, why)] : []),
	].join("  ");
}

function otherLine(entry: Record<string, unknown>, now: Date, paint: (color: Color, text: string) => string) {
	const { level, message, ...fields } = entry;
	const color: Color = level === "error" ? "red" : level === "warn" ? "yellow" : "white";
	const details = Object.entries(fields).map(([key, value]) => `${key}=${JSON.stringify(value)}`);
	return [paint("gray", clock(now)), paint(color, `${text(level)} ${text(message)}`), ...details].join("  ");
}

export interface Formatter {
	/** The line to print for one line of wrangler's output, or null to print nothing. */
	format(line: string, now?: Date): string | null;
}

/**
 * A formatter for one output stream. `color` enables ANSI colours. It drops wrangler's own request
 * lines for webhooks (the webhook line says more) and the blank lines wrangler prints after a
 * decorated warning; every other line passes unchanged.
 */
export function humanFormatter(color: boolean): Formatter {
	const paint = (style: Color, value: string) => (color ? styleText(style, value, { validateStream: false }) : value);
	let afterDecorated = false;
	return {
		format(line, now = new Date()) {
			const plain = line.replace(ansi, "").trimEnd();
			if (afterDecorated && plain === "") return null;
			afterDecorated = false;
			if (/^\[wrangler:info\] POST \/api\/webhooks\/\S+ [0-9]{3} /.test(plain) && !/ 404 /.test(plain)) return null;
			const decorated = wranglerDecoration.test(plain);
			const body = plain.replace(wranglerDecoration, "");
			if (!body.startsWith("{")) return line;
			let entry: unknown;
			try {
				entry = JSON.parse(body);
			} catch {
				return line;
			}
			if (typeof entry !== "object" || entry === null || !("level" in entry) || !("message" in entry)) return line;
			afterDecorated = decorated;
			const fields = entry as Record<string, unknown>;
			return fields.message === "webhook" ? webhookLine(fields, now, paint) : otherLine(fields, now, paint);
		},
	};
}

/**
 * For `npm run dev -- --json`: the Worker's JSON lines bare, one per line, as `wrangler tail` and
 * Workers Logs get them (wrangler's decoration of console.warn/console.error and the blank lines
 * after it removed); every other line unchanged.
 */
export function jsonFormatter(): Formatter {
	let afterDecorated = false;
	return {
		format(line) {
			const plain = line.replace(ansi, "").trimEnd();
			if (afterDecorated && plain === "") return null;
			afterDecorated = false;
			if (!wranglerDecoration.test(plain)) return line;
			const body = plain.replace(wranglerDecoration, "");
			if (!body.startsWith("{")) return line;
			afterDecorated = true;
			return body;
		},
	};
}
