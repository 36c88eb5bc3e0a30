/**
 * What the `npm run dev` terminal shows of a URL's secret token (tools/dev/log-lines.ts): Shippo's
 * webhook URL carries `?token=<SHIPPO_WEBHOOK_TOKEN>`, and wrangler prints every request's URL. The
 * token's value never reaches the terminal, in the human view (where the request line of a 404 is
 * kept) or with `--json` (where wrangler's lines pass through).
 */
import { describe, expect, it } from "vitest";
import { humanFormatter, jsonFormatter, redactSecrets } from "../../tools/dev/log-lines.ts";

const token = "5f2a9c7e1b3d4f6a8c0e2b4d6f8a0c1e";
const at = new Date(2026, 10, 29, 20, 31, 2);

describe("redactSecrets", () => {
	it.each([
		[`/api/webhooks/shipping/shippo?token=${token}`, "/api/webhooks/shipping/shippo?token=[redacted]"],
		[`/x?a=1&token=${token}&b=2`, "/x?a=1&token=[redacted]&b=2"],
		[`/x?TOKEN=${token}`, "/x?TOKEN=[redacted]"],
		[`/x?token=a%2Bb#frag`, "/x?token=[redacted]#frag"],
		[`"url":"https://shop.example/x?token=${token}"`, '"url":"https://shop.example/x?token=[redacted]"'],
		["/x?token=", "/x?token=[redacted]"],
	])("%s → %s", (line, shown) => {
		expect(redactSecrets(line)).toBe(shown);
	});

	it("leaves lines without a token query parameter alone", () => {
		for (const line of [
			"[wrangler:info] POST /api/webhooks/clerk 200 OK (54ms)",
			"tokens=3",
			"?mytoken=abc",
			"token=abc",
		])
			expect(redactSecrets(line)).toBe(line);
	});
});

describe("the dev terminal", () => {
	const lines = [
		`[wrangler:info] POST /api/webhooks/shipping/shippo?token=${token} 404 Not Found (3ms)`,
		`[wrangler:info] POST /api/webhooks/shipping/shippo?token=${token} 200 OK (41ms)`,
		`\u001b[33m▲ \u001b[43;33m[\u001b[43;30mWARNING\u001b[43;33m]\u001b[0m fetch to http://127.0.0.1/x?token=${token} failed`,
	];

	it("human view: a kept request line shows the path without the token", () => {
		const formatter = humanFormatter(false);
		const shown = lines.map((line) => formatter.format(line, at));
		expect(shown[0]).toBe("[wrangler:info] POST /api/webhooks/shipping/shippo?token=[redacted] 404 Not Found (3ms)");
		expect(shown[1]).toBeNull(); // the webhook's own line says more
		expect(shown.join("\n")).not.toContain(token);
	});

	it("--json: wrangler's lines pass through, without the token", () => {
		const formatter = jsonFormatter();
		const shown = lines.map((line) => formatter.format(line, at));
		expect(shown[1]).toBe("[wrangler:info] POST /api/webhooks/shipping/shippo?token=[redacted] 200 OK (41ms)");
		expect(shown.join("\n")).not.toContain(token);
	});
});
