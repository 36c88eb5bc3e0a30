/**
 * The dashboard at /admin through the Worker's own fetch: off without ADMIN_TOKEN, the log-in and its
 * cookie, the security headers, cross-site forms and posts that are not forms refused, filters it
 * cannot read refused with the reason (never dropped, which would widen a list or a bulk replay),
 * errors told apart (the database unreachable, anything else), and the pages an operator reads
 * (events, failures, an event and its replay, bulk replay's dry run, recovery, the chart) as the HTML
 * they get. The same flows in a real browser: test/browser/dashboard.test.ts.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import easypostDelivered from "@fixtures/payloads/easypost/tracker.updated.delivered.json";
import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { deferredReplayNote } from "../../src/admin/replay";
import { adminRuns, orders, webhookEvents } from "../../src/db/schema";
import worker from "../../src/index";
import { admin } from "../support/admin";
import { carrierRequest } from "../support/carriers";
import { uniqueId } from "../support/clerk";
import { deliver, observe } from "../support/deliver";
import { recordingQueue } from "../support/queue";
import { ledgerRows, testDb } from "../support/rows";
import { stripeEvent, stripeRequest } from "../support/stripe";
import { unreachableDatabaseUrl } from "../support/unreachable";

const token = "dashboard-test-token-0123456789";
const adminEnv = { ...env, ADMIN_TOKEN: token } as Env;
const origin = "http://shop.test";

/** A request to the dashboard as a browser on its own pages sends it. */
function page(
	path: string,
	options: { cookie?: string | null; form?: Record<string, string>; headers?: Record<string, string> } = {},
) {
	const headers = new Headers(options.headers);
	if (options.cookie !== null) headers.set("cookie", `admin_token=${encodeURIComponent(options.cookie ?? token)}`);
	if (options.form) {
		headers.set("content-type", "application/x-www-form-urlencoded");
		if (!headers.has("origin")) headers.set("origin", origin);
		if (!headers.has("sec-fetch-site")) headers.set("sec-fetch-site", "same-origin");
	}
	return new Request(`${origin}${path}`, {
		method: options.form ? "POST" : "GET",
		headers,
		redirect: "manual",
		...(options.form ? { body: new URLSearchParams(options.form).toString() } : {}),
	});
}

/** Sends a dashboard request through the Worker (ADMIN_TOKEN set unless `bindings` say otherwise). */
async function open(request: Request, bindings: Env = adminEnv) {
	const { value: response, logs } = await observe(async () => {
		const ctx = createExecutionContext();
		const answer = await worker.fetch(request, bindings, ctx);
		await waitOnExecutionContext(ctx);
		return answer;
	});
	return { response, html: await response.text(), logs };
}

/** An unmatched Stripe payment: its order does not exist yet. */
async function unmatchedPayment() {
	const orderId = uniqueId("order");
	const event = stripeEvent("payment_intent.succeeded");
	event.data.object.id = uniqueId("pi");
	event.data.object.metadata = { order_id: orderId };
	const delivered = await deliver(await stripeRequest(event));
	expect(delivered.status).toBe(200);
	const [row] = await ledgerRows("stripe", event.id);
	expect(row?.status).toBe("unmatched");
	return { orderId, event, row: row as typeof webhookEvents.$inferSelect };
}

describe("the dashboard is off without ADMIN_TOKEN", () => {
	it.each([
		["GET", "/admin"],
		["GET", "/admin/login"],
		["GET", "/admin/events"],
		["GET", "/admin/stats"],
		["GET", "/admin/recovery"],
		["POST", "/admin/login"],
		["POST", "/admin/logout"],
		["POST", "/admin/events/1/replay"],
		["POST", "/admin/replay"],
	])("%s %s answers 404", async (method, path) => {
		const request =
			method === "POST" ? page(path, { form: { token: "" }, cookie: null }) : page(path, { cookie: null });
		const { response } = await open(request, { ...env, ADMIN_TOKEN: undefined } as unknown as Env);
		expect(response.status).toBe(404);
		expect(response.headers.get("set-cookie")).toBeNull();
	});
});

describe("log-in", () => {
	it("sends a visitor without the cookie to the log-in page, which needs no cookie", async () => {
		for (const path of ["/admin", "/admin/events", "/admin/failures", "/admin/stats", "/admin/events/1"]) {
			const { response } = await open(page(path, { cookie: null }));
			expect(response.status, path).toBe(303);
			expect(response.headers.get("location")).toBe("/admin/login");
		}
		const login = await open(page("/admin/login", { cookie: null }));
		expect(login.response.status).toBe(200);
		expect(login.html).toContain('<form method="post" action="/admin/login">');
	});

	it("a wrong token or a wrong cookie is refused, and never shown back", async () => {
		const wrong = await open(page("/admin/login", { cookie: null, form: { token: "not-the-token-xyz" } }));
		expect(wrong.response.status).toBe(401);
		expect(wrong.response.headers.get("set-cookie")).toBeNull();
		expect(wrong.html).toContain("That is not the admin token.");
		expect(wrong.html).not.toContain("not-the-token-xyz");
		const forged = await open(page("/admin/events", { cookie: "not-the-token-xyz" }));
		expect(forged.response.status).toBe(303);
		expect(forged.response.headers.get("location")).toBe("/admin/login");
	});

	it("the pasted token becomes an HttpOnly, Secure, SameSite=Strict cookie for /admin only", async () => {
		const { response } = await open(page("/admin/login", { cookie: null, form: { token: ` ${token}\n` } }));
		expect(response.status).toBe(303);
		expect(response.headers.get("location")).toBe("/admin/events");
		const cookie = response.headers.get("set-cookie") ?? "";
		expect(cookie).toMatch(new RegExp(`^admin_token=${token};`));
		expect(cookie.split("; ").sort()).toEqual(
			[`admin_token=${token}`, "HttpOnly", "Path=/admin", "SameSite=Strict", "Secure"].sort(),
		);
	});

	it("log-out expires the cookie with the same attributes", async () => {
		const { response } = await open(page("/admin/logout", { form: {} }));
		expect(response.status).toBe(303);
		expect(response.headers.get("location")).toBe("/admin/login?out=1");
		const cookie = response.headers.get("set-cookie") ?? "";
		expect(cookie).toMatch(/^admin_token=; Max-Age=0; /);
		expect(cookie).toContain("Path=/admin");
		expect(cookie).toContain("HttpOnly");
	});
});

describe("every page", () => {
	it("allows no script and only its own stylesheet, cannot be framed, and is not cached", async () => {
		for (const path of ["/admin/login", "/admin/events"]) {
			const { response, html } = await open(page(path));
			expect(response.status, path).toBe(path === "/admin/login" ? 303 : 200);
			const csp = response.headers.get("content-security-policy") ?? "";
			expect(csp).toContain("default-src 'none'");
			expect(csp).toContain("frame-ancestors 'none'");
			expect(csp).toContain("form-action 'self'");
			expect(csp).not.toContain("script-src");
			expect(csp).not.toContain("unsafe-inline");
			expect(response.headers.get("x-frame-options")).toBe("SAMEORIGIN");
			expect(response.headers.get("x-content-type-options")).toBe("nosniff");
			expect(response.headers.get("cache-control")).toBe("no-store");
			if (response.status === 200) {
				const nonce = /style-src 'nonce-([^']+)'/.exec(csp)?.[1];
				expect(nonce).toBeTruthy();
				expect(html).toContain(`<style nonce="${nonce}">`);
				expect(html).not.toContain("<script");
				expect(html).not.toMatch(/ style="/);
			}
		}
	});
});

describe("errors", () => {
	it("a database the Worker cannot reach: a 503 page that says so, and one warn line without the token", async () => {
		const down = { ...adminEnv, DATABASE_URL: unreachableDatabaseUrl } as Env;
		const { response, html, logs } = await open(page("/admin/failures"), down);
		expect(response.status).toBe(503);
		expect(html).toContain("The database could not be reached; nothing was changed. Try again.");
		expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
		expect(logs).toEqual([
			expect.objectContaining({
				level: "warn",
				message: "admin dashboard: database unavailable",
				path: "/admin/failures",
			}),
		]);
		expect(JSON.stringify(logs)).not.toContain(token);
	});

	it("any other error: a 500 page that does not blame the database, and one error line", async () => {
		// a database that answers, but refuses the query for good (a role without the grant), at the network edge
		const refusingHost = "refusing.localtest.me";
		const realFetch = globalThis.fetch;
		const fetchSpy = vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
			const url = new URL(input instanceof Request ? input.url : String(input));
			if (url.hostname !== refusingHost) return realFetch(input, init);
			const refusal = { message: "permission denied for table webhook_events", code: "42501", severity: "ERROR" };
			return Promise.resolve(Response.json(refusal, { status: 400 }));
		});
		const printed: string[] = [];
		const errorSpy = vi.spyOn(console, "error").mockImplementation((line: unknown) => printed.push(String(line)));
		try {
			const refusing = { ...adminEnv, DATABASE_URL: `postgres://shop:local@${refusingHost}:5432/shop` } as Env;
			const ctx = createExecutionContext();
			const response = await worker.fetch(page("/admin/failures"), refusing, ctx);
			await waitOnExecutionContext(ctx);
			const html = await response.text();
			expect(response.status).toBe(500);
			expect(html).toContain("an unexpected error (the Worker log has the details)");
			expect(html).not.toMatch(/database/i);
			expect(printed.map((line) => JSON.parse(line))).toEqual([
				expect.objectContaining({ level: "error", message: "admin dashboard error", path: "/admin/failures" }),
			]);
		} finally {
			fetchSpy.mockRestore();
			errorSpy.mockRestore();
		}
	});
});

describe("cross-site forms", () => {
	it.each([
		["another site's page", { origin: "https://evil.example", "sec-fetch-site": "cross-site" }],
		["a form that says nothing of where it comes from", { origin: "", "sec-fetch-site": "" }],
	])("a replay posted from %s is refused 403 and changes nothing", async (_, sent) => {
		const { row } = await unmatchedPayment();
		const headers = Object.fromEntries(Object.entries(sent).filter(([, value]) => value !== ""));
		const request = page(`/admin/events/${row.id}/replay`, { form: {}, headers });
		if (sent.origin === "") request.headers.delete("origin");
		if (sent["sec-fetch-site"] === "") request.headers.delete("sec-fetch-site");
		const { response, html, logs } = await open(request);
		expect(response.status).toBe(403);
		expect(html).toContain("posted from another site");
		expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
		expect(logs).toEqual([
			{ level: "warn", message: "admin dashboard: cross-site form refused", path: `/admin/events/${row.id}/replay` },
		]);
		const [after] = await testDb().select().from(webhookEvents).where(eq(webhookEvents.id, row.id));
		expect(after).toMatchObject({ status: "unmatched", attempts: row.attempts });
	});

	it.each([
		["JSON from another site", "application/json", { origin: "https://evil.example", "sec-fetch-site": "cross-site" }],
		["JSON from this site", "application/json", {}],
		["octet-stream from another site", "application/octet-stream", { origin: "https://evil.example" }],
		["text/plain from this site", "text/plain;charset=UTF-8", {}],
		["a body without a content type", null, {}],
	])(
		"a bulk replay posted as %s (csrf() checks forms only) is refused 415, nothing enqueued",
		async (_, type, sent) => {
			const { row } = await unmatchedPayment();
			const headers = new Headers({ cookie: `admin_token=${token}`, origin, "sec-fetch-site": "same-origin", ...sent });
			if (type) headers.set("content-type", type);
			const body = type === "application/json" ? JSON.stringify({ type: row.eventType }) : `type=${row.eventType}`;
			const request = new Request(`${origin}/admin/replay`, { method: "POST", headers, body, redirect: "manual" });
			if (!type) request.headers.delete("content-type");
			const jobs = recordingQueue();
			const { response, html, logs } = await open(request, { ...adminEnv, JOBS: jobs });
			expect(response.status).toBe(415);
			expect(html).toContain("The dashboard takes form posts only");
			expect(jobs.sent).toEqual([]);
			expect(logs).toEqual([
				{ level: "warn", message: "admin dashboard: not a form post refused", path: "/admin/replay" },
			]);
		},
	);

	it("a log-in posted from another site is refused too (no cookie is set)", async () => {
		const request = page("/admin/login", {
			cookie: null,
			form: { token },
			headers: { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
		});
		const { response } = await open(request);
		expect(response.status).toBe(403);
		expect(response.headers.get("set-cookie")).toBeNull();
	});
});

describe("filters it cannot read: a 400 page with the reason, nothing listed or changed", () => {
	it.each([
		["/admin/events?status=lost", "status"],
		["/admin/events?status=failed&status=lost", "status"],
		["/admin/events?since=yesterday", "since"],
		["/admin/events?since=999999999999", "since"],
		["/admin/events?since=2026-02-30T10:00", "since"],
		["/admin/events?until=2026-05-01T24:00", "until"],
		["/admin/events?type=%00", "type"],
		["/admin/events?provider=stripe&provider=clerk", "provider"],
		["/admin/events?cursor=not-a-cursor", "cursor"],
		["/admin/events?stauts=failed", "stauts"],
		["/admin/failures?status=processed", "status"],
		["/admin/replay?dry_run=1&status=processed", "status"],
		["/admin/replay?dry_run=1&status=lost", "status"],
		["/admin/replay?dry_run=1&until=2026-13-01", "until"],
		["/admin/stats?hours=5", "hours"],
	])("%s", async (path, field) => {
		const { response, html } = await open(page(path));
		expect(response.status).toBe(400);
		expect(html).toContain(`Nothing was listed or changed: ${field}: expected`);
		expect(response.headers.get("cache-control")).toBe("no-store");
	});

	it("a status no replay runs again is refused as the API refuses it", async () => {
		const api = await admin("/events/replay", { body: { status: "processed", dry_run: true } });
		expect(api.status).toBe(400);
		const { response, html } = await open(page("/admin/replay?dry_run=1&status=processed"));
		expect(response.status).toBe(400);
		expect(html).toContain(String(api.body.message));
	});

	it("a bulk replay posted with a filter it cannot read enqueues nothing", async () => {
		const jobs = recordingQueue();
		const forms: Record<string, string>[] = [
			{ status: "processed" },
			{ since: "2026-02-30T00:00" },
			{ type: "a\u0000" },
			{ stauts: "x" },
		];
		for (const form of forms) {
			const { response } = await open(page("/admin/replay", { form }), { ...adminEnv, JOBS: jobs });
			expect(response.status, JSON.stringify(form)).toBe(400);
		}
		expect(jobs.sent).toEqual([]);
	});

	it("a provider this Worker does not serve matches nothing, rather than every event", async () => {
		await unmatchedPayment();
		const events = await open(page("/admin/events?provider=paypal"));
		expect(events.response.status).toBe(200);
		expect(events.html).toContain("No events match.");
		expect(events.html).toContain('<option value="paypal" selected="">paypal</option>');
		const counted = await open(page("/admin/replay?dry_run=1&provider=paypal"));
		expect(counted.html).toContain('<strong data-testid="dry-run-count">0</strong>');
	});

	it("empty fields (what a form sends for any) filter nothing", async () => {
		const { event } = await unmatchedPayment();
		const { response, html } = await open(
			page(`/admin/failures?provider=&type=${event.type}&since=&until=&status=unmatched&status=`),
		);
		expect(response.status).toBe(200);
		expect(html).toContain(event.id);
	});
});

describe("pages", () => {
	it("the failures view lists an unmatched event; its page shows the payload; after the order exists, a replay processes it", async () => {
		const { orderId, event, row } = await unmatchedPayment();

		const failures = await open(page(`/admin/failures?provider=stripe&type=${event.type}`));
		expect(failures.response.status).toBe(200);
		expect(failures.html).toContain(`<a href="/admin/events/${row.id}"><code>${event.id}</code></a>`);
		const events = await open(page(`/admin/events?status=processed&provider=stripe&type=${event.type}`));
		expect(events.html).not.toContain(event.id);

		const detail = await open(page(`/admin/events/${row.id}`));
		expect(detail.response.status).toBe(200);
		expect(detail.html).toContain('<span class="status status-unmatched">unmatched</span>');
		// the stored payload, indented and escaped
		expect(detail.html).toContain(`&quot;order_id&quot;: &quot;${orderId}&quot;`);
		expect(detail.html).toContain(`<form method="post" action="/admin/events/${row.id}/replay"`);

		await testDb()
			.insert(orders)
			.values({ id: orderId, amountTotal: 4999, currency: "usd", stripePaymentIntentId: event.data.object.id });
		const replay = await open(page(`/admin/events/${row.id}/replay`, { form: {} }));
		expect(replay.response.status).toBe(303);
		expect(replay.response.headers.get("location")).toBe(`/admin/events/${row.id}?replayed=applied`);
		const after = await open(page(`/admin/events/${row.id}?replayed=applied`));
		expect(after.html).toContain("Replayed: <strong>applied</strong>");
		expect(after.html).toContain('<span class="status status-processed">processed</span>');
		const [order] = await testDb().select().from(orders).where(eq(orders.id, orderId));
		expect(order?.paymentStatus).toBe("paid");

		// a processed event replayed again is a duplicate
		const again = await open(page(`/admin/events/${row.id}/replay`, { form: {} }));
		expect(again.response.headers.get("location")).toBe(`/admin/events/${row.id}?replayed=duplicate`);
	});

	it("an erased event shows its skeleton and offers no replay", async () => {
		const { row } = await unmatchedPayment();
		await testDb()
			.update(webhookEvents)
			.set({ payload: { id: row.eventId, type: row.eventType }, erasedAt: new Date() })
			.where(eq(webhookEvents.id, row.id));
		const detail = await open(page(`/admin/events/${row.id}`));
		expect(detail.html).toContain("Payload (erased: its skeleton)");
		expect(detail.html).not.toContain(`action="/admin/events/${row.id}/replay"`);
		const refused = await open(page(`/admin/events/${row.id}/replay`, { form: {} }));
		expect(refused.response.headers.get("location")).toBe(`/admin/events/${row.id}?refused=erased`);
	});

	it("an unknown event id is a 404 page", async () => {
		for (const id of ["999999999999", "abc", "0"]) {
			const { response } = await open(page(`/admin/events/${id}`));
			expect(response.status, id).toBe(404);
		}
	});

	it("bulk replay counts first (a dry run), then enqueues", async () => {
		const type = `test.bulk_${uniqueId("t")}`;
		const { row } = await unmatchedPayment();
		await testDb().update(webhookEvents).set({ eventType: type }).where(eq(webhookEvents.id, row.id));
		const counted = await open(page(`/admin/replay?dry_run=1&type=${type}&status=unmatched`));
		expect(counted.response.status).toBe(200);
		expect(counted.html).toContain('<strong data-testid="dry-run-count">1</strong> event match');
		expect(counted.html).toContain('one run enqueues <strong data-testid="dry-run-enqueue">1</strong>.');
		expect(counted.html).toContain('<input type="hidden" name="status" value="unmatched"/>');

		const jobs = recordingQueue();
		const replayed = await open(page("/admin/replay", { form: { type, status: "unmatched" } }), {
			...adminEnv,
			JOBS: jobs,
		});
		expect(replayed.response.status).toBe(303);
		expect(replayed.response.headers.get("location")).toBe("/admin/replay?enqueued=1&capped=0");
		expect(jobs.sent).toEqual([{ kind: "replay", provider: "stripe", eventId: row.eventId }]);
	});

	it("bulk replay leaves deferred events out unless their box is ticked; a deferred event's page says a replay is an attempt", async () => {
		const type = `test.bulk_${uniqueId("t")}`;
		const { row } = await unmatchedPayment();
		const parcel = structuredClone(easypostDelivered) as typeof easypostDelivered;
		parcel.id = uniqueId("evt");
		parcel.result.tracking_code = uniqueId("TRK").toUpperCase();
		await deliver(await carrierRequest("easypost", parcel), { ...env, JOBS: recordingQueue() });
		const [deferred] = await ledgerRows("easypost", parcel.id);
		expect(deferred?.status).toBe("deferred");
		for (const id of [row.id, deferred?.id as number])
			await testDb().update(webhookEvents).set({ eventType: type }).where(eq(webhookEvents.id, id));

		const form = await open(page(`/admin/replay?type=${type}`));
		expect(form.html).toContain('<input type="checkbox" name="status" value="unmatched" checked=""/>');
		expect(form.html).toContain('<input type="checkbox" name="status" value="deferred"/>');
		const unticked = await open(page(`/admin/replay?dry_run=1&type=${type}`));
		expect(unticked.html).toContain('<strong data-testid="dry-run-count">1</strong>');
		const ticked = await open(page(`/admin/replay?dry_run=1&type=${type}&status=deferred&status=unmatched`));
		expect(ticked.html).toContain('<strong data-testid="dry-run-count">2</strong>');
		// the failures view lists both, and its bulk link names no status unless one was chosen
		const failures = await open(page(`/admin/failures?type=${type}`));
		expect(failures.html).toContain(`href="/admin/replay?type=${type}&amp;dry_run=1"`);
		const chosen = await open(page(`/admin/failures?type=${type}&status=deferred`));
		expect(chosen.html).toContain(`href="/admin/replay?type=${type}&amp;status=deferred&amp;dry_run=1"`);

		const detail = await open(page(`/admin/events/${deferred?.id}`));
		expect(detail.html).toContain(deferredReplayNote);
	});

	it("the stats page draws events per hour by status as an SVG of bars", async () => {
		await unmatchedPayment();
		const { response, html } = await open(page("/admin/stats"));
		expect(response.status).toBe(200);
		expect(html).toContain('<svg class="chart"');
		expect(html).toMatch(/<rect class="bar bar-unmatched" data-status="unmatched"/);
	});

	it("the recovery page offers the Stripe backfill and the Clerk reconcile", async () => {
		const { response, html } = await open(page("/admin/recovery"));
		expect(response.status).toBe(200);
		expect(html).toContain('action="/admin/recovery/stripe"');
		expect(html).toContain('action="/admin/recovery/clerk"');
	});

	it("a recovery whose API key is unset is refused with what to set, and starts none", async () => {
		const unset = { ...adminEnv, STRIPE_API_KEY: undefined, CLERK_SECRET_KEY: undefined } as unknown as Env;
		const stripe = await open(page("/admin/recovery/stripe", { form: { since: "2026-01-01T00:00" } }), unset);
		expect(stripe.response.status).toBe(409);
		expect(stripe.html).toContain("Set the secret STRIPE_API_KEY to run this recovery.");
		const clerk = await open(page("/admin/recovery/clerk", { form: {} }), unset);
		expect(clerk.response.status).toBe(409);
		expect(clerk.html).toContain("Set the secret CLERK_SECRET_KEY to run this recovery.");
	});

	it("a backfill from a time to come, or from no time, is refused", async () => {
		const keyed = { ...adminEnv, STRIPE_API_KEY: "rk_test_dashboard" } as Env;
		for (const since of ["2999-01-01T00:00", "", "yesterday"]) {
			const { response, html } = await open(page("/admin/recovery/stripe", { form: { since } }), keyed);
			expect(response.status, since).toBe(400);
			expect(html).toContain("a time in the past (UTC)");
		}
	});

	it("a Stripe backfill starts a run, which the recovery page lists", async () => {
		const keyed = { ...adminEnv, STRIPE_API_KEY: "rk_test_dashboard" } as Env;
		const { response } = await open(page("/admin/recovery/stripe", { form: { since: "2026-01-01T00:00" } }), keyed);
		expect(response.status).toBe(303);
		const location = response.headers.get("location") ?? "";
		const runId = /^\/admin\/recovery\?started=(\d+)$/.exec(location)?.[1];
		expect(runId, location).toBeDefined();
		const [run] = await testDb()
			.select()
			.from(adminRuns)
			.where(eq(adminRuns.id, Number(runId)));
		expect(run).toMatchObject({ kind: "stripe_backfill", status: "running" });
		expect(run?.params).toMatchObject({ since: Date.UTC(2026, 0, 1) / 1000 });
		const { html } = await open(page(location), keyed);
		expect(html).toContain(`Run ${runId} started`);
		expect(html).toMatch(new RegExp(`<td>${runId} \\(new\\)</td><td>Stripe backfill</td>`));
	});
});
