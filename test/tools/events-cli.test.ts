/**
 * `npm run events -- …` as an operator runs it (`node tools/events.ts …`), against a local server
 * that answers as the admin API does (src/admin/api.ts, src/admin/recovery/routes.ts) and records what
 * it was asked: each command's method, path, query and body, the token in `Authorization` (never
 * printed), readable lines or `--json`, exit 1 on a refusal and 2 on a malformed command line; a
 * redirect reported rather than followed, a warning before the token goes over plain http to another
 * machine, and a sender's control characters escaped in what reaches the terminal. Where the token
 * comes from: adminToken() directly (the repository's own .dev.vars may hold one).
 */
import { execFile } from "node:child_process";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminToken, baseUrl, plainHttpWarning } from "../../tools/events/admin-client.ts";
import { eventLines } from "../../tools/events/format.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const TOKEN = "cli-test-token-3f9a";
const env = {
	...Object.fromEntries(Object.entries(process.env).filter(([name]) => !["ADMIN_TOKEN", "PORT"].includes(name))),
	ADMIN_TOKEN: TOKEN,
};

interface Asked {
	method: string;
	url: URL;
	authorization: string | undefined;
	body: unknown;
}
const asked: Asked[] = [];

const failedEvent = {
	id: 7,
	provider: "stripe",
	event_id: "evt_1Failed",
	event_type: "payment_intent.succeeded",
	status: "failed",
	attempts: 2,
	received_at: "2026-10-02T10:00:00.123Z",
	processed_at: null,
	next_attempt_at: null,
	last_error: "data.object.amount_received: Invalid input",
	erased_at: null,
};
const run = {
	id: 5,
	kind: "stripe_backfill",
	status: "done",
	params: { since: 1790000000 },
	cursor: "evt_3",
	pages: 2,
	seen: 5,
	applied: 3,
	duplicates: 2,
	failed: 0,
	last_error: null,
	started_at: "2026-10-02T10:00:00.000Z",
	finished_at: "2026-10-02T10:00:04.000Z",
};

/** An event whose type, id, error and payload carry escape sequences (a hostile sender's). */
const hostileEvent = {
	...failedEvent,
	id: 8,
	event_type: "\u001b[2J\u001b]0;pwned\u0007invoice.paid\u009b31m",
	event_id: "evt_\r\u001b[1Ax",
	last_error: "data.object: \u001b]52;c;cm0gLXJmIH4=\u0007",
	subject_user_id: null,
	payload: { note: "\u001b[31mred\u009b0m", lines: "a\nb" },
	raw_body: '{"note": "x"}\r\n\u001b[8m',
};

/** The admin API's answers, by method, path and body. */
function answer(method: string, url: URL, body: unknown): [number, unknown] {
	const route = `${method} ${url.pathname}`;
	switch (route) {
		case "GET /api/admin/events":
			return [
				200,
				{
					events: [failedEvent, { ...failedEvent, id: 6, status: "processed", attempts: 1, last_error: null }],
					next_cursor: "abc",
				},
			];
		case "GET /api/admin/events/7":
			return [
				200,
				{
					event: {
						...failedEvent,
						subject_user_id: "user_1",
						payload: { id: "evt_1Failed", data: { object: { amount: 4999 } } },
						raw_body: null,
					},
				},
			];
		case "GET /api/admin/events/404":
			return [404, { error: "not_found", message: "No event with this id." }];
		case "GET /api/admin/events/8":
			return [200, { event: hostileEvent }];
		case "POST /api/admin/events/7/replay":
			return [200, { outcome: "applied", event: { id: 7, status: "processed", attempts: 3, last_error: null } }];
		case "POST /api/admin/events/9/replay":
			return [
				200,
				{
					outcome: "deferred",
					event: { id: 9, status: "deferred", attempts: 3, last_error: null },
					note: "A replay of a deferred event counts as one of its attempts: …",
				},
			];
		case "POST /api/admin/events/replay": {
			const limit = (body as { limit?: number }).limit ?? 1000;
			return [200, { dry_run: true, count: 3, enqueue: Math.min(3, limit), capped: 3 > limit }];
		}
		case "POST /api/admin/backfill/stripe":
			return [202, { run_id: 5, run: { ...run, status: "running" } }];
		case "POST /api/admin/reconcile/clerk":
			return [202, { run_id: 6 }];
		case "GET /api/admin/runs":
			return [
				200,
				{
					runs: [
						run,
						{
							...run,
							id: 6,
							kind: "clerk_reconcile",
							status: "failed",
							created: 1,
							updated: 0,
							current: 4,
							last_error: "clerk answered 401 (authentication_invalid)",
						},
					],
				},
			];
		case "GET /api/admin/runs/5":
			return [200, { run }];
		default:
			return [404, { error: "not_found", message: "No such route." }];
	}
}

async function readBody(req: IncomingMessage) {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	const text = Buffer.concat(chunks).toString("utf8");
	return text ? JSON.parse(text) : undefined;
}

let server: Server;
let url: string;
beforeAll(async () => {
	server = createServer(async (req, res) => {
		const at = new URL(req.url ?? "/", "http://localhost");
		const sent = await readBody(req);
		asked.push({ method: req.method ?? "", url: at, authorization: req.headers.authorization, body: sent });
		const [status, body] =
			req.headers.authorization === `Bearer ${TOKEN}`
				? answer(req.method ?? "", at, sent)
				: [401, { error: "unauthorized", message: "Send the admin token: Authorization: Bearer <ADMIN_TOKEN>." }];
		res.writeHead(status, { "content-type": "application/json" });
		res.end(JSON.stringify(body));
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

interface Ran {
	code: number;
	stdout: string;
	stderr: string;
	/** What the server was asked during this run. */
	asked: Asked[];
}

/** Runs the CLI with `args` (and --url of the stub server unless `noUrl`). */
function events(args: string[], options: { env?: NodeJS.ProcessEnv; noUrl?: boolean } = {}): Promise<Ran> {
	const from = asked.length;
	const argv = ["tools/events.ts", ...args, ...(options.noUrl ? [] : ["--url", url])];
	return new Promise((resolve) => {
		execFile(
			process.execPath,
			argv,
			{ cwd: root, env: options.env ?? env, timeout: 30_000 },
			(error, stdout, stderr) => {
				const code = error ? Number((error as { code?: unknown }).code ?? 1) : 0;
				resolve({ code, stdout, stderr, asked: asked.slice(from) });
			},
		);
	});
}

/** A control character a terminal acts on: C0 but tab and newline, DEL, C1. */
const controlCharacter = (text: string) =>
	[...text].some((c) => {
		const code = c.codePointAt(0) ?? 0;
		return (code < 0x20 && code !== 0x09 && code !== 0x0a) || (code >= 0x7f && code <= 0x9f);
	});

/** Nothing printed shows the token. */
function expectNoToken(ran: Ran) {
	expect(ran.stdout).not.toContain(TOKEN);
	expect(ran.stderr).not.toContain(TOKEN);
}

describe("npm run events", () => {
	it("list: the filters as the query, the token as a bearer, one line per event and the next page", async () => {
		const ran = await events(["list", "--status", "failed,dead", "--provider", "stripe", "--limit", "5"]);
		expect(ran.code).toBe(0);
		expect(ran.asked).toHaveLength(1);
		const [request] = ran.asked;
		expect(request?.method).toBe("GET");
		expect(request?.url.pathname).toBe("/api/admin/events");
		expect(Object.fromEntries(request?.url.searchParams ?? [])).toEqual({
			status: "failed,dead",
			provider: "stripe",
			limit: "5",
		});
		expect(request?.authorization).toBe(`Bearer ${TOKEN}`);
		const lines = ran.stdout.trim().split("\n");
		expect(lines[0]).toMatch(
			/^#7\s+2026-10-02T10:00:00Z\s+stripe\s+payment_intent\.succeeded\s+failed ×2\s+evt_1Failed\s+— data\.object\.amount_received: Invalid input$/,
		);
		expect(lines[1]).toMatch(/^#6\s+.*processed\s+evt_1Failed$/);
		expect(lines[2]).toBe("more: npm run events -- list … --cursor abc");
		expectNoToken(ran);
	});

	it("show <id>: the event's fields and its payload pretty-printed", async () => {
		const ran = await events(["show", "7"]);
		expect(ran.code).toBe(0);
		expect(ran.asked.map((a) => `${a.method} ${a.url.pathname}`)).toEqual(["GET /api/admin/events/7"]);
		expect(ran.stdout).toContain("#7 stripe payment_intent.succeeded (evt_1Failed)");
		expect(ran.stdout).toContain("status        failed (2 attempts)");
		expect(ran.stdout).toContain("last error    data.object.amount_received: Invalid input");
		expect(ran.stdout).toContain(
			'payload:\n{\n  "id": "evt_1Failed",\n  "data": {\n    "object": {\n      "amount": 4999',
		);
	});

	it("replay <id>: posts the replay and prints its outcome", async () => {
		const ran = await events(["replay", "7"]);
		expect(ran.code).toBe(0);
		expect(ran.asked.map((a) => `${a.method} ${a.url.pathname}`)).toEqual(["POST /api/admin/events/7/replay"]);
		expect(ran.stdout.trim()).toBe("#7 replayed: applied, now processed (3 attempts)");
	});

	it("replay <filters> --dry-run: posts the filter, prints the count", async () => {
		const ran = await events(["replay", "--status", "failed", "--since", "2026-10-01", "--dry-run", "--limit", "50"]);
		expect(ran.code).toBe(0);
		expect(ran.asked[0]?.url.pathname).toBe("/api/admin/events/replay");
		expect(ran.asked[0]?.body).toEqual({ status: "failed", since: "2026-10-01", dry_run: true, limit: 50 });
		expect(ran.stdout.trim()).toBe("3 event(s) match, 3 would be queued: nothing replayed (dry run)");
		const capped = await events(["replay", "--status", "failed", "--dry-run", "--limit", "2"]);
		expect(capped.stdout.trim()).toBe(
			"3 event(s) match, 2 would be queued (the oldest, capped by --limit or 1000: run it again for the rest): nothing replayed (dry run)",
		);
	});

	it("replay <id> of a deferred event prints the API's note: the replay was one of its attempts", async () => {
		const ran = await events(["replay", "9"]);
		expect(ran.code).toBe(0);
		expect(ran.stdout.trim().split("\n")).toEqual([
			"#9 replayed: deferred, now deferred (3 attempts)",
			"A replay of a deferred event counts as one of its attempts: …",
		]);
	});

	it("what a sender wrote is printed with its control characters escaped; --json stays the same JSON", async () => {
		const shown = await events(["show", "8"]);
		expect(shown.code).toBe(0);
		expect(controlCharacter(shown.stdout)).toBe(false);
		expect(shown.stdout).toContain(
			"#8 stripe \\u001b[2J\\u001b]0;pwned\\u0007invoice.paid\\u009b31m (evt_\\u000d\\u001b[1Ax)",
		);
		expect(shown.stdout).toContain("last error    data.object: \\u001b]52;c;cm0gLXJmIH4=\\u0007");
		// the payload over several lines (its own newlines kept), escaped inside its strings
		expect(shown.stdout).toContain('payload:\n{\n  "note": "\\u001b[31mred\\u009b0m",\n  "lines": "a\\nb"\n}');
		expect(shown.stdout).toContain('{"note": "x"}\\u000d\n\\u001b[8m');

		const json = await events(["show", "8", "--json"]);
		expect(controlCharacter(json.stdout)).toBe(false);
		expect(JSON.parse(json.stdout)).toEqual({ event: hostileEvent });

		const [line] = eventLines([hostileEvent]);
		expect(controlCharacter(line ?? "")).toBe(false);
		expect(line).toContain("\\u001b[2J");
	});

	it("backfill stripe --since and reconcile clerk start runs; runs lists them", async () => {
		const backfill = await events(["backfill", "stripe", "--since", "2026-10-01T00:00:00Z"]);
		expect(backfill.code).toBe(0);
		expect(backfill.asked[0]).toMatchObject({ method: "POST", body: { since: "2026-10-01T00:00:00Z" } });
		expect(backfill.asked[0]?.url.pathname).toBe("/api/admin/backfill/stripe");
		expect(backfill.stdout).toContain("run #5 started");
		expect(backfill.stdout).toContain("npm run events -- runs 5");

		const reconcile = await events(["reconcile", "clerk"]);
		expect(reconcile.asked[0]?.url.pathname).toBe("/api/admin/reconcile/clerk");
		expect(reconcile.stdout).toContain("run #6 started");

		const runs = await events(["runs"]);
		const lines = runs.stdout.trim().split("\n");
		expect(lines[0]).toMatch(
			/^run #5\s+stripe_backfill\s+done\s+2 page\(s\): seen 5, applied 3, duplicates 2, failed 0/,
		);
		expect(lines[1]).toMatch(
			/^run #6\s+clerk_reconcile\s+failed\s+.*created 1, updated 0, current 4.*— clerk answered 401 \(authentication_invalid\)$/,
		);
		const one = await events(["runs", "5"]);
		expect(one.asked[0]?.url.pathname).toBe("/api/admin/runs/5");
	});

	it("--json prints the API's answer as it is", async () => {
		const ran = await events(["runs", "5", "--json"]);
		expect(JSON.parse(ran.stdout)).toEqual({ run });
	});

	it("a refusal exits 1 with the API's error; a wrong token says where it came from, never what it is", async () => {
		const missing = await events(["show", "404"]);
		expect(missing.code).toBe(1);
		expect(missing.stderr.trim()).toBe("GET /api/admin/events/404 answered 404 not_found: No event with this id.");

		const wrong = await events(["list", "--token", "not-the-token"]);
		expect(wrong.code).toBe(1);
		expect(wrong.stderr).toContain("answered 401 unauthorized");
		expect(wrong.stderr).toContain("the token from --token is not the Worker's ADMIN_TOKEN");
		expect(wrong.stderr).not.toContain("not-the-token");
		expectNoToken(wrong);
	});

	it("a Worker that cannot be reached exits 1", async () => {
		const ran = await events(["list", "--url", "http://127.0.0.1:9"], { noUrl: true });
		expect(ran.code).toBe(1);
		expect(ran.stderr).toContain("cannot reach http://127.0.0.1:9");
		expect(ran.stderr).not.toContain("warning");
	});

	it("a URL that redirects: not followed (the token would be dropped, a POST become a GET), says where to", async () => {
		const redirected: { method: string; authorization: string | undefined }[] = [];
		const redirecting = createServer((req, res) => {
			redirected.push({ method: req.method ?? "", authorization: req.headers.authorization });
			res.writeHead(301, { location: `${url}${req.url}` });
			res.end();
		});
		await new Promise<void>((resolve) => redirecting.listen(0, "127.0.0.1", resolve));
		try {
			const from = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}`;
			const ran = await events(["replay", "--status", "failed", "--url", from], { noUrl: true });
			expect(ran.code).toBe(1);
			expect(ran.stderr.trim()).toBe(
				`POST /api/admin/events/replay answered 301: the URL redirects to ${url}/api/admin/events/replay: use that URL (--url ${url})`,
			);
			expect(redirected).toEqual([{ method: "POST", authorization: `Bearer ${TOKEN}` }]);
			expect(ran.asked).toEqual([]);
			expectNoToken(ran);
		} finally {
			await new Promise((resolve) => redirecting.close(resolve));
		}
	});

	it("warns before sending the token over plain http to another machine", async () => {
		const ran = await events(["list", "--url", "http://127.0.0.2:9"], { noUrl: true });
		expect(ran.stderr.split("\n")[0]).toBe(
			"warning: sending the admin token to 127.0.0.2:9 over plain http: anyone on the way can read it (use https)",
		);
		expectNoToken(ran);
		expect(plainHttpWarning(new URL("http://shop.example.org"))).toContain("shop.example.org over plain http");
		for (const quiet of [
			"https://shop.example.org",
			"http://localhost:8787",
			"http://127.0.0.1:8787",
			"http://[::1]:8787",
		])
			expect(plainHttpWarning(new URL(quiet)), quiet).toBeUndefined();
	});

	it.each([
		[["bogus"], 'unknown command "bogus"'],
		[[], "missing <command>"],
		[["show", "abc"], '<id> must be a whole number, not "abc"'],
		[["replay"], "replay needs an event id or at least one filter"],
		[["replay", "--status", ""], "replay needs an event id or at least one filter"],
		[["replay", "--status", " ", "--provider=", "--dry-run"], "replay needs an event id or at least one filter"],
		[["list", "--dry-run"], "list does not take --dry-run"],
		[["backfill", "stripe"], "backfill stripe needs --since <time>"],
		[["backfill", "paypal", "--since", "2026-01-01"], "backfill takes one provider: stripe"],
		[["reconcile"], "reconcile takes one provider: clerk"],
		[["list", "--url", "ftp://example.org"], "--url must be an http(s) URL"],
	])("%j: exits 2 with the reason and the usage, asks nothing", async (args, message) => {
		const ran = await events(args, { noUrl: args.includes("--url") });
		expect(ran.code).toBe(2);
		expect(ran.stderr).toContain(message);
		expect(ran.stderr).toContain("usage: npm run events");
		expect(ran.asked).toEqual([]);
	});
});

describe("where the token and the URL come from", () => {
	it("--token, else ADMIN_TOKEN, else .dev.vars; none: undefined", () => {
		expect(adminToken(" flag ", { ADMIN_TOKEN: "env" }, { ADMIN_TOKEN: "file" })).toEqual({
			value: "flag",
			source: "--token",
		});
		expect(adminToken(undefined, { ADMIN_TOKEN: "env" }, { ADMIN_TOKEN: "file" })).toEqual({
			value: "env",
			source: "ADMIN_TOKEN",
		});
		expect(adminToken(undefined, { ADMIN_TOKEN: " " }, { ADMIN_TOKEN: "file" })).toEqual({
			value: "file",
			source: ".dev.vars",
		});
		expect(adminToken(undefined, {}, {})).toBeUndefined();
	});

	it("--url, else the local dev server on PORT or 8787", () => {
		expect(baseUrl("https://shop.example.workers.dev", {}).origin).toBe("https://shop.example.workers.dev");
		expect(baseUrl(undefined, { PORT: "8797" }).origin).toBe("http://127.0.0.1:8797");
		expect(baseUrl(undefined, {}).origin).toBe("http://127.0.0.1:8787");
		expect(() => baseUrl("https://user:pw@shop.example", {})).toThrow("must not carry a user or password");
	});
});
