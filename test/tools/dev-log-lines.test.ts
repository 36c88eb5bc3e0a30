/**
 * What the `npm run dev` terminal shows of wrangler's output: one human line per webhook, with the
 * control characters a sender may put in its fields escaped, never sent to the terminal.
 */
import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { humanFormatter, jsonFormatter } from "../../tools/dev/log-lines.ts";

const at = new Date(2026, 10, 29, 20, 31, 2);

/** A control character a terminal acts on: C0 but tab, DEL, C1. */
const controlCharacter = (text: string) =>
	[...text].some((c) => {
		const code = c.codePointAt(0) ?? 0;
		return (code < 0x20 && code !== 0x09) || (code >= 0x7f && code <= 0x9f);
	});
const webhook = (fields: Record<string, unknown>) =>
	JSON.stringify({
		level: "info",
		message: "webhook",
		provider: "clerk",
		event_type: "user.created",
		event_id: "msg_2vXabc",
		outcome: "applied",
		status: 200,
		duration_ms: 14,
		request_id: "8f1c-request",
		...fields,
	});

describe("humanFormatter", () => {
	it("turns a webhook JSON line into time, provider, type, event id, outcome, status and ms", () => {
		const line = humanFormatter(false).format(webhook({}), at);
		expect(line?.split(/\s+/)).toEqual([
			"20:31:02",
			"clerk",
			"user.created",
			"msg_2vXabc",
			"applied",
			"200",
			"14",
			"ms",
		]);
	});

	it("adds the reason (and SQLSTATE) when the event was not applied", () => {
		const format = humanFormatter(false).format;
		expect(format(webhook({ outcome: "failed", reason: "invalid_payload" }), at)).toMatch(
			/failed {4}200 +14 ms {2}invalid_payload$/,
		);
		expect(
			format(webhook({ outcome: "rejected", status: 503, reason: "database_unavailable", error_code: "57P01" }), at),
		).toMatch(/rejected {2}503 +14 ms {2}database_unavailable 57P01$/);
	});

	it("adds the alert a line carries, in a few words", () => {
		const format = humanFormatter(false).format;
		const mismatch = {
			level: "error",
			provider: "stripe",
			event_type: "payment_intent.succeeded",
			alert: "payment_mismatch",
			amount_received: 1000,
			currency_received: "usd",
			order_id: "order_demo_6",
			amount_due: 4999,
			currency_due: "usd",
		};
		expect(format(webhook(mismatch), at)).toMatch(
			/applied {3}200 +14 ms {2}alert payment_mismatch: order_demo_6 received 1000 usd of 4999 usd$/,
		);
		const dispute = {
			level: "warn",
			provider: "stripe",
			event_type: "charge.dispute.created",
			alert: "dispute",
			dispute_id: "du_demo_7",
			dispute_status: "needs_response",
			stripe_dispute_status: "warning_needs_response",
			disputed_amount: 4999,
			currency: "usd",
			dispute_reason: "fraudulent",
			respond_by: "2026-12-07T01:05:28.000Z",
			payment_intent: "pi_demo_7",
			charge: "ch_demo_7",
		};
		expect(format(webhook(dispute), at)).toMatch(
			/ms {2}alert dispute du_demo_7 needs_response: 4999 usd fraudulent, respond by 2026-12-07T01:05:28\.000Z$/,
		);
		expect(format(webhook({ ...dispute, outcome: "unmatched", respond_by: null }), at)).toMatch(
			/unmatched 200 +14 ms {2}alert dispute du_demo_7 needs_response: 4999 usd fraudulent$/,
		);
		// once answered or closed, the deadline is past concern
		expect(format(webhook({ ...dispute, dispute_status: "lost", stripe_dispute_status: "lost" }), at)).toMatch(
			/alert dispute du_demo_7 lost: 4999 usd fraudulent$/,
		);
		expect(humanFormatter(true).format(webhook(mismatch), at)).toContain("\u001b[31malert payment_mismatch");
	});

	it("reads the lines wrangler decorates (console.warn/error) and drops the blank lines it adds after them", () => {
		const formatter = humanFormatter(false);
		const decorated = `\u001b[33m▲ \u001b[43;33m[\u001b[43;30mWARNING\u001b[43;33m]\u001b[0m \u001b[1m${webhook({ outcome: "unmatched", provider: "stripe" })}\u001b[0m`;
		expect(formatter.format(decorated, at)).toMatch(/^20:31:02 {2}stripe .* unmatched 200/);
		expect(formatter.format("", at)).toBeNull();
		expect(formatter.format("", at)).toBeNull();
		expect(formatter.format("next", at)).toBe("next");
		expect(formatter.format("", at)).toBe("");
	});

	it("drops wrangler's own request line for a webhook, keeps it for a 404 and for other routes", () => {
		const format = humanFormatter(false).format;
		expect(format("[wrangler:info] POST /api/webhooks/clerk 200 OK (54ms)", at)).toBeNull();
		expect(format("[wrangler:info] POST /api/webhooks/stripe 503 Service Unavailable (9ms)", at)).toBeNull();
		expect(format("[wrangler:info] POST /api/webhooks/acme 404 Not Found (3ms)", at)).toContain("404");
		expect(format("[wrangler:info] GET /health 200 OK (17ms)", at)).toContain("/health");
	});

	it("shows other structured lines compactly and passes everything else through unchanged", () => {
		const format = humanFormatter(false).format;
		expect(format(JSON.stringify({ level: "error", message: "health check failed", error_code: "08006" }), at)).toBe(
			'20:31:02  error health check failed  error_code="08006"',
		);
		for (const line of ["⎔ Starting local server...", "{not json", '{"no":"level"}', "[1,2]"]) {
			expect(format(line, at)).toBe(line);
		}
	});

	it("escapes the control characters a sender put in an event's fields (C0, DEL, C1), in every line", () => {
		const format = humanFormatter(false).format;
		const hostile = {
			event_type: "\u001b[2J\u001b]0;pwned\u0007invoice.paid",
			event_id: "evt_\r\u009b31mx\u007f",
			outcome: "failed",
			reason: "bad\nline",
			alert: "x\u001b[5m",
		};
		const line = format(webhook(hostile), at) ?? "";
		expect(controlCharacter(line)).toBe(false);
		expect(line).toContain("\\u001b[2J\\u001b]0;pwned\\u0007invoice.paid");
		expect(line).toContain("evt_\\u000d\\u009b31mx\\u007f");
		expect(line).toContain("bad\\u000aline");
		expect(line).toContain("alert x\\u001b[5m");
		const other = format(
			JSON.stringify({ level: "warn", message: "odd\u001b[31m", note: "\u009b1m\u001b", "k\u001b": 1 }),
			at,
		);
		expect(other).toBe('20:31:02  warn odd\\u001b[31m  note="\\u009b1m\\u001b"  k\\u001b=1');
		// coloured, only our own escape sequences reach the terminal
		const coloured = humanFormatter(true).format(webhook(hostile), at) ?? "";
		expect(stripVTControlCharacters(coloured)).toBe(line);
	});

	it("colours only when asked", () => {
		expect(humanFormatter(true).format(webhook({}), at)).toContain("\u001b[");
		expect(humanFormatter(false).format(webhook({}), at)).not.toContain("\u001b[");
	});
});

describe("jsonFormatter (npm run dev -- --json)", () => {
	it("shows the Worker's JSON lines bare, one per line, without wrangler's decoration or the blank lines after it", () => {
		const formatter = jsonFormatter();
		const json = webhook({ level: "warn", outcome: "unmatched" });
		const decorated = `\u001b[33m▲ \u001b[43;33m[\u001b[43;30mWARNING\u001b[43;33m]\u001b[0m \u001b[1m${json}\u001b[0m`;
		expect(formatter.format(decorated)).toBe(json);
		expect(formatter.format("")).toBeNull();
		expect(formatter.format("")).toBeNull();
		expect(formatter.format(`✘ [ERROR] ${json}`)).toBe(json);
		expect(formatter.format(webhook({}))).toBe(webhook({}));
		expect(formatter.format("")).toBe("");
	});

	it("escapes DEL and C1 control characters in the strings (C0 ones are escaped already): still JSON, the same values", () => {
		const json = webhook({ event_type: "a\u009b31m\u007fb\u001b" });
		const shown = jsonFormatter().format(json) ?? "";
		expect(controlCharacter(shown)).toBe(false);
		expect(JSON.parse(shown)).toEqual(JSON.parse(json));
	});

	it("passes wrangler's own lines unchanged", () => {
		const formatter = jsonFormatter();
		for (const line of ["[wrangler:info] POST /api/webhooks/clerk 200 OK (54ms)", "▲ [WARNING] not json"]) {
			expect(formatter.format(line)).toBe(line);
		}
	});
});
