/**
 * Issue "every signed event accounted for", kinds 2 and 7: unknown provider names are unknown
 * (whatever they are, `__proto__` included); URLs and methods as senders and people use them
 * (a trailing slash, GET/HEAD → 405), and every mix of `svix-*` / `webhook-*` headers that the
 * official svix library accepts.
 */
import { createExecutionContext, env } from "cloudflare:test";
import { Webhook } from "svix";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { clerkRequest, uniqueId, userEvent } from "../support/clerk";
import { deliver, webhookLine } from "../support/deliver";
import { ledgerRows } from "../support/rows";
import { clerkSecret } from "../support/secrets";
import { pendingOrder, stripeEvent, stripeRequest } from "../support/stripe";

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

/** A copy of `request` at another path (and method), with the same headers and body. */
async function moved(request: Request, path: string, method = request.method): Promise<Request> {
	const body = method === "GET" || method === "HEAD" ? null : await request.text();
	return new Request(new URL(path, request.url), { method, headers: request.headers, body });
}

describe("unknown names are unknown", () => {
	const builtIns = Object.getOwnPropertyNames(Object.prototype);

	it.each(builtIns)("POST /api/webhooks/%s (a name on Object.prototype) is 404", async (name) => {
		const request = await moved(clerkRequest(userEvent("user.created", uniqueId("user"), T0)), `/api/webhooks/${name}`);
		const delivered = await deliver(request);
		expect(delivered.status).toBe(404);
		expect(delivered.body).toEqual({ error: "unknown_provider", message: "No webhook endpoint at this path." });
	});

	it.each(["GET", "HEAD"])("%s on an unknown provider is 404 too", async (method) => {
		const delivered = await deliver(new Request("http://shop.test/api/webhooks/__proto__", { method }));
		expect(delivered.status).toBe(404);
	});
});

describe("URLs and methods", () => {
	it("a signed POST to /api/webhooks/stripe/ (trailing slash) is applied", async () => {
		const order = await pendingOrder();
		const event = stripeEvent("payment_intent.succeeded");
		event.data.object.id = order.stripePaymentIntentId;
		event.data.object.metadata = { order_id: order.id };
		const delivered = await deliver(await moved(await stripeRequest(event), "/api/webhooks/stripe/"));
		expect(delivered.status).toBe(200);
		expect(delivered.body).toEqual({ received: true, outcome: "applied" });
	});

	it("a signed POST to /api/webhooks/clerk/ (trailing slash) is applied", async () => {
		const request = clerkRequest(userEvent("user.created", uniqueId("user"), T0));
		const delivered = await deliver(await moved(request, "/api/webhooks/clerk/"));
		expect(delivered.body).toEqual({ received: true, outcome: "applied" });
	});

	it.each([
		["GET", "/api/webhooks/stripe"],
		["GET", "/api/webhooks/clerk/"],
		["HEAD", "/api/webhooks/stripe"],
		["PUT", "/api/webhooks/clerk"],
		["DELETE", "/api/webhooks/stripe"],
		["PATCH", "/api/webhooks/clerk"],
	])("%s %s is 405 with Allow: POST and a hint", async (method, path) => {
		const request = new Request(`http://shop.test${path}`, {
			method,
			body: method === "GET" || method === "HEAD" ? null : "{}",
		});
		const response = await worker.fetch(request, env, createExecutionContext());
		expect(response.status).toBe(405);
		expect(response.headers.get("allow")).toBe("POST");
		if (method !== "HEAD") {
			expect(await response.json()).toEqual({
				error: "method_not_allowed",
				message: "This is a webhook endpoint: the provider sends its events here with POST.",
			});
		}
	});
});

describe("svix-* and webhook-* headers, mixed field by field", () => {
	const fields = ["id", "timestamp", "signature"] as const;
	// Every assignment of a prefix to each field: 8 combinations.
	const combinations = [0, 1, 2, 3, 4, 5, 6, 7].map((bits) =>
		Object.fromEntries(fields.map((field, i) => [field, bits & (1 << i) ? "webhook" : "svix"])),
	) as Record<(typeof fields)[number], "svix" | "webhook">[];

	it.each(combinations)(
		"id: $id-, timestamp: $timestamp-, signature: $signature- is verified as svix does",
		async (prefixes) => {
			const id = uniqueId("msg");
			const body = JSON.stringify(userEvent("user.created", uniqueId("user"), T0));
			const now = new Date();
			const signature = new Webhook(clerkSecret).sign(id, now, body);
			const values = { id, timestamp: String(Math.floor(now.getTime() / 1000)), signature };
			const headers = Object.fromEntries(fields.map((field) => [`${prefixes[field]}-${field}`, values[field]]));
			// The reference: the official library accepts this mix.
			expect(() => new Webhook(clerkSecret).verify(body, headers)).not.toThrow();
			const delivered = await deliver(
				new Request("http://shop.test/api/webhooks/clerk", { method: "POST", headers, body }),
			);
			expect(delivered.body).toEqual({ received: true, outcome: "applied" });
			expect(webhookLine(delivered).event_id).toBe(id);
			expect(await ledgerRows("clerk", id)).toHaveLength(1);
		},
	);

	it("when both prefixes carry a field, svix-* is the one read (as in the svix library)", async () => {
		const id = uniqueId("msg");
		const body = JSON.stringify(userEvent("user.created", uniqueId("user"), T0));
		const now = new Date();
		const signature = new Webhook(clerkSecret).sign(id, now, body);
		const timestamp = String(Math.floor(now.getTime() / 1000));
		const headers = {
			"svix-id": id,
			"webhook-id": "msg_other",
			"svix-timestamp": timestamp,
			"webhook-signature": signature,
			"svix-signature": "v1,AAAA",
		};
		expect(() => new Webhook(clerkSecret).verify(body, headers)).toThrow();
		const delivered = await deliver(
			new Request("http://shop.test/api/webhooks/clerk", { method: "POST", headers, body }),
		);
		expect(delivered.status).toBe(401);
	});
});
