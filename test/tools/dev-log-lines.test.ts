/** What the `npm run dev` terminal shows of wrangler's output: one human line per webhook. */
import { describe, expect, it } from "vitest";
import { humanFormatter, jsonFormatter } from "../../tools/dev/log-lines.ts";

const at = new Date(2026, 10, 29, 20, 31, 2);
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

	it("passes wrangler's own lines unchanged", () => {
		const formatter = jsonFormatter();
		for (const line of ["[wrangler:info] POST /api/webhooks/clerk 200 OK (54ms)", "▲ [WARNING] not json"]) {
			expect(formatter.format(line)).toBe(line);
		}
	});
});
