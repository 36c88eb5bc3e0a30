/**
 * The admin API's door (issue 11): it exists only when ADMIN_TOKEN is set (404 on every path when it
 * is not, as any unknown path), answers 401 without the token or with a wrong one, and sends Hono's
 * secure headers and `Cache-Control: no-store` (its answers hold payloads). No cookie authenticates it: a cross-site form post carrying the dashboard's cookie
 * and no bearer token is refused like any other, and the refusal never echoes a token.
 */
import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { admin, adminToken, withoutAdmin } from "../support/admin";
import { deliver } from "../support/deliver";
import { ledgerRows } from "../support/rows";
import { stripeEvent, stripeRequest } from "../support/stripe";

const paths = [
	["GET", "/events"],
	["GET", "/events/1"],
	["POST", "/events/1/replay"],
	["POST", "/events/replay"],
	["GET", "/stats"],
	["GET", "/runs"],
	["POST", "/backfill/stripe"],
] as const;

describe("with ADMIN_TOKEN unset", () => {
	it.each(paths)("%s /api/admin%s answers 404, even with a token", async (method, path) => {
		const answer = await admin(path, { method }, withoutAdmin());
		expect(answer.status).toBe(404);
		expect(answer.body).toEqual({ error: "not_found", message: "No such route." });
		expect(answer.databaseRequests).toEqual([]);
	});

	it("a blank ADMIN_TOKEN is unset too", async () => {
		const answer = await admin("/events", {}, { ...env, ADMIN_TOKEN: "  " } as Env);
		expect(answer.status).toBe(404);
	});
});

describe("with ADMIN_TOKEN set", () => {
	it.each(paths)("%s /api/admin%s without a token: 401, nothing read", async (method, path) => {
		const answer = await admin(path, { method, token: null });
		expect(answer.status).toBe(401);
		expect(answer.body).toMatchObject({ error: "unauthorized" });
		expect(answer.databaseRequests).toEqual([]);
	});

	it.each([
		["a wrong token", "not-the-admin-token"],
		["the token with one character changed", `${adminToken.slice(0, -1)}x`],
		["a prefix of the token", adminToken.slice(0, 10)],
		["the token twice", `${adminToken}${adminToken}`],
	])("%s: 401", async (_, token) => {
		const answer = await admin("/events", { token });
		expect(answer.status).toBe(401);
		expect(answer.body).toMatchObject({ error: "unauthorized" });
		expect(answer.logText).not.toContain(token);
	});

	it("an Authorization header that is not `Bearer <token>`: 400 (Hono's bearerAuth), never 200", async () => {
		const answer = await admin("/events", {
			token: null,
			headers: { authorization: `Basic ${btoa(`admin:${adminToken}`)}` },
		});
		expect(answer.status).toBe(400);
		expect(answer.body).toMatchObject({ error: "invalid_authorization" });
	});

	it("the right token opens it, with secure headers", async () => {
		const request = new Request("http://shop.test/api/admin/events?limit=1", {
			headers: { authorization: `Bearer ${adminToken}` },
		});
		const response = await worker.fetch(request, env, createExecutionContext());
		expect(response.status).toBe(200);
		expect(response.headers.get("x-content-type-options")).toBe("nosniff");
		expect(response.headers.get("x-frame-options")).toBe("SAMEORIGIN");
		expect(response.headers.get("strict-transport-security")).toMatch(/max-age=/);
		expect(await response.json()).toMatchObject({ events: expect.any(Array) });
	});

	it.each([
		["a list", "/events?limit=1", adminToken, 200],
		["an event it does not have", "/events/999999999999", adminToken, 404],
		["a refused filter", "/events?status=lost", adminToken, 400],
		["the stats", "/stats", adminToken, 200],
		["the runs", "/runs", adminToken, 200],
		["a missing token", "/events", undefined, 401],
	])("%s: Cache-Control: no-store (answers hold payloads, with personal data)", async (_, path, token, status) => {
		const request = new Request(`http://shop.test/api/admin${path}`, {
			headers: token ? { authorization: `Bearer ${token}` } : {},
		});
		const response = await worker.fetch(request, env, createExecutionContext());
		expect(response.status).toBe(status);
		expect(response.headers.get("cache-control")).toBe("no-store");
		await response.body?.cancel();
	});

	it("an event's payload is sent with Cache-Control: no-store", async () => {
		const event = stripeEvent("payment_intent.succeeded");
		await deliver(await stripeRequest(event));
		const [row] = await ledgerRows("stripe", event.id);
		const request = new Request(`http://shop.test/api/admin/events/${row?.id}`, {
			headers: { authorization: `Bearer ${adminToken}` },
		});
		const response = await worker.fetch(request, env, createExecutionContext());
		expect(response.status).toBe(200);
		expect(await response.json()).toMatchObject({ event: { payload: event } });
		expect(response.headers.get("cache-control")).toBe("no-store");
	});

	it("a token set with surrounding spaces is the token without them", async () => {
		const answer = await admin("/events?limit=1", {}, { ...env, ADMIN_TOKEN: ` ${adminToken}\n` } as Env);
		expect(answer.status).toBe(200);
	});

	it("an unknown admin path: 401 without the token, 404 with it", async () => {
		expect((await admin("/nothing-here", { token: null })).status).toBe(401);
		expect((await admin("/nothing-here")).status).toBe(404);
	});
});

describe("cross-site requests", () => {
	it("a form post from another site with the dashboard's cookie and no bearer token: 401, nothing replayed", async () => {
		const answer = await deliver(
			new Request("http://shop.test/api/admin/events/replay", {
				method: "POST",
				headers: {
					origin: "https://evil.example",
					"sec-fetch-site": "cross-site",
					"content-type": "application/x-www-form-urlencoded",
					cookie: `admin_token=${adminToken}`,
				},
				body: "status=failed&dry_run=false",
			}),
		);
		expect(answer.status).toBe(401);
		expect(answer.body).toMatchObject({ error: "unauthorized" });
		expect(answer.databaseRequests).toEqual([]);
	});
});
