/**
 * The dashboard at /admin through the Worker's own fetch: off without ADMIN_TOKEN, the log-in and its
 * cookie, the security headers, cross-site forms refused, and the pages an operator reads (events,
 * failures, an event and its replay, bulk replay's dry run, recovery, the chart) as the HTML they get.
 * The same flows in a real browser: test/browser/dashboard.test.ts.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { adminRuns, orders, webhookEvents } from "../../src/db/schema";
import worker from "../../src/index";
import { uniqueId } from "../support/clerk";
import { deliver, observe } from "../support/deliver";
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
		["POST", "/admin/login"],
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

describe("a database the Worker cannot reach", () => {
	it("is a 500 page that says so, and one error line without the token", async () => {
		const down = { ...adminEnv, DATABASE_URL: unreachableDatabaseUrl } as Env;
		const { response, html, logs } = await open(page("/admin/failures"), down);
		expect(response.status).toBe(500);
		expect(html).toContain("the database may be unreachable");
		expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
		expect(logs).toEqual([
			expect.objectContaining({ level: "error", message: "admin dashboard error", path: "/admin/failures" }),
		]);
		expect(JSON.stringify(logs)).not.toContain(token);
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
		expect(counted.html).toContain('<input type="hidden" name="status" value="unmatched"/>');
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
