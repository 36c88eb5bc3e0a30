/**
 * Issue "every signed event accounted for", kind 1: a validly signed event is never answered 5xx for
 * something a retry would meet again. Content Postgres cannot hold (NUL, unpaired surrogates) is
 * cleaned in free text and makes an id `failed`; the ledger keeps the body verbatim in `raw_body`.
 * Times beyond a Date or a timestamptz, database refusals and our own code throwing are `failed`,
 * logged at error, answered 200, replayable. Only transient database failures are 503.
 */
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { WebhookProvider } from "../../src/webhooks/provider";
import { receiveWebhook } from "../../src/webhooks/receive";
import { clerkRequest, uniqueId, userEvent } from "../support/clerk";
import { deliver, webhookLine } from "../support/deliver";
import { withoutQueue } from "../support/queue";
import { refuseUserWrites } from "../support/refuse";
import { ledgerRows, userRow } from "../support/rows";
import { pendingOrder, stripeEvent, stripeRequest } from "../support/stripe";

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

async function deliverClerk(mutate: (event: ReturnType<typeof userEvent>) => void) {
	const userId = uniqueId("user");
	const event = userEvent("user.created", userId, T0);
	mutate(event);
	const eventId = uniqueId("msg");
	const delivered = await deliver(clerkRequest(event, { id: eventId }));
	const [ledger] = await ledgerRows("clerk", eventId);
	return { delivered, ledger, userId, eventId };
}

describe("content Postgres cannot hold", () => {
	it("a NUL in a name is removed from the user row; the ledger keeps the body verbatim", async () => {
		const { delivered, ledger, userId } = await deliverClerk((event) => {
			event.data.first_name = "Ad\u0000a";
		});
		expect(delivered.status).toBe(200);
		expect(delivered.body).toEqual({ received: true, outcome: "applied" });
		expect((await userRow(userId))?.firstName).toBe("Ada");
		expect(ledger?.status).toBe("processed");
		expect(ledger?.rawBody).toContain('"first_name":"Ad\\u0000a"');
		expect(ledger?.payload).toMatchObject({ data: { first_name: "Ada" } });
	});

	it("a NUL in a field we never read changes nothing but the ledger's copy", async () => {
		const { delivered, ledger, userId } = await deliverClerk((event) => {
			(event.data as Record<string, unknown>).unsafe_metadata = { note: "x\u0000y" };
		});
		expect(delivered.body).toEqual({ received: true, outcome: "applied" });
		expect((await userRow(userId))?.firstName).toBe("Jane");
		expect(ledger?.rawBody).toContain('"note":"x\\u0000y"');
	});

	it("an unpaired surrogate in a name becomes U+FFFD", async () => {
		const { delivered, ledger, userId } = await deliverClerk((event) => {
			event.data.first_name = "Zo\ud83d";
		});
		expect(delivered.body).toEqual({ received: true, outcome: "applied" });
		expect((await userRow(userId))?.firstName).toBe("Zo\ufffd");
		expect(ledger?.rawBody).toContain('"first_name":"Zo\\ud83d"');
	});

	it("a NUL or an unpaired surrogate in a user id makes the event failed, with a reason that quotes nothing", async () => {
		for (const id of ["user_\u0000x", "user_\udc00x"]) {
			const { delivered, ledger } = await deliverClerk((event) => {
				event.data.id = id;
			});
			expect(delivered.status).toBe(200);
			expect(delivered.body).toEqual({ received: true, outcome: "failed" });
			expect(ledger).toMatchObject({
				status: "failed",
				lastError: "id: contains a character Postgres cannot store (NUL or an unpaired surrogate)",
			});
			expect(webhookLine(delivered)).toMatchObject({ level: "error", outcome: "failed" });
		}
	});

	it("a NUL in a Stripe event's metadata.note is kept in the ledger and the payment applies", async () => {
		const order = await pendingOrder();
		const event = stripeEvent("payment_intent.succeeded");
		event.data.object.id = order.stripePaymentIntentId;
		event.data.object.metadata = { order_id: order.id, note: "gift\u0000wrap" };
		const delivered = await deliver(await stripeRequest(event));
		expect(delivered.body).toEqual({ received: true, outcome: "applied" });
		const [ledger] = await ledgerRows("stripe", event.id);
		expect(ledger?.rawBody).toContain("gift\\u0000wrap");
	});

	it("a NUL in metadata.order_id makes the Stripe event failed; the order is untouched", async () => {
		const order = await pendingOrder();
		const event = stripeEvent("payment_intent.succeeded");
		event.data.object.metadata = { order_id: `${order.id}\u0000` };
		const delivered = await deliver(await stripeRequest(event));
		expect(delivered.body).toEqual({ received: true, outcome: "failed" });
		const [ledger] = await ledgerRows("stripe", event.id);
		expect(ledger?.lastError).toBe(
			"metadata.order_id: contains a character Postgres cannot store (NUL or an unpaired surrogate)",
		);
	});

	it("a Stripe event id Postgres cannot hold is failed, keyed by the id's digest so a redelivery finds it", async () => {
		const event = stripeEvent("payment_intent.succeeded");
		event.id = "evt_\u0000broken";
		const first = await deliver(await stripeRequest(event));
		expect(first.body).toEqual({ received: true, outcome: "failed" });
		const key = webhookLine(first).event_id as string;
		expect(key).toMatch(/^id-sha256:[0-9a-f]{64}$/);
		const [ledger] = await ledgerRows("stripe", key);
		expect(ledger?.lastError).toBe(
			"envelope: id: contains a character Postgres cannot store (NUL or an unpaired surrogate)",
		);
		const again = await deliver(await stripeRequest(event));
		expect(webhookLine(again)).toMatchObject({ event_id: key, outcome: "failed", attempt: 2 });
	});

	it("an extreme event id (10 000 characters) is keyed by its digest", async () => {
		const longId = `msg_${"x".repeat(10_000)}`;
		const event = userEvent("user.created", uniqueId("user"), T0);
		const delivered = await deliver(clerkRequest(event, { id: longId }));
		expect(delivered.body).toEqual({ received: true, outcome: "applied" });
		expect(webhookLine(delivered).event_id).toMatch(/^id-sha256:[0-9a-f]{64}$/);
		const again = await deliver(clerkRequest(event, { id: longId }));
		expect(again.body).toEqual({ received: true, outcome: "duplicate" });
	});

	it.each([
		["a number beyond numeric", '{"n":1e131072}'],
		["a number below numeric", '{"n":1e-16384}'],
		["a nesting deeper than the server's stack", `{"n":${"[".repeat(20_000)}${"]".repeat(20_000)}}`],
	])("%s in a field we never read is kept verbatim in raw_body", async (_, extra) => {
		const userId = uniqueId("user");
		const text = JSON.stringify(userEvent("user.created", userId, T0)).replace(/^\{/, `{"extra":${extra},`);
		const eventId = uniqueId("msg");
		const delivered = await deliver(clerkRequest(text, { id: eventId }));
		expect(delivered.body).toEqual({ received: true, outcome: "applied" });
		const [ledger] = await ledgerRows("clerk", eventId);
		expect(ledger?.rawBody).toBe(text);
	});
});

describe("times our code or Postgres cannot hold", () => {
	it.each([
		[
			"Clerk's updated_at",
			(e: ReturnType<typeof userEvent>) => Object.assign(e.data, { updated_at: 9e15 }),
			"updated_at",
		],
		[
			"Clerk's timestamp",
			(e: ReturnType<typeof userEvent>) => Object.assign(e, { timestamp: 1e16 }),
			"envelope: timestamp",
		],
		[
			"Clerk's created_at, negative",
			(e: ReturnType<typeof userEvent>) => Object.assign(e.data, { created_at: -1 }),
			"created_at",
		],
	])("%s out of range is failed (200), never an outage", async (_, mutate, path) => {
		const { delivered, ledger } = await deliverClerk(mutate);
		expect(delivered.status).toBe(200);
		expect(delivered.body).toEqual({ received: true, outcome: "failed" });
		expect(ledger?.status).toBe("failed");
		expect(ledger?.lastError).toMatch(new RegExp(`^${path}: Too (big|small)`));
		expect(webhookLine(delivered)).toMatchObject({ level: "error", outcome: "failed" });
	});

	it.each([
		["created", 1e15],
		["created", 253_402_300_800],
	])("a Stripe event whose %s is %d is failed", async (_, created) => {
		const event = stripeEvent("payment_intent.succeeded", undefined, created);
		const delivered = await deliver(await stripeRequest(event));
		expect(delivered.body).toEqual({ received: true, outcome: "failed" });
		const [ledger] = await ledgerRows("stripe", event.id);
		expect(ledger?.lastError).toMatch(/^envelope: created: Too big/);
	});

	it("a subscription's current_period_end of 9e12 s is failed", async () => {
		const event = stripeEvent("customer.subscription.updated");
		event.data.object.current_period_end = 9e12;
		for (const item of event.data.object.items?.data ?? []) item.current_period_end = 9e12;
		const delivered = await deliver(await stripeRequest(event));
		expect(delivered.body).toEqual({ received: true, outcome: "failed" });
	});
});

/**
 * Runs `receiveWebhook` on a POST to the Stripe endpoint (`{id: eventId, type: "payment_intent.succeeded"}`)
 * with a stand-in "stripe" provider whose signature always verifies and whose `interpret` is the one
 * given: the way to make our own code throw on a signed event.
 */
function receiveWithStripeReplaced(eventId: string, interpret: WebhookProvider["interpret"]): Promise<Response> {
	const provider = {
		name: "stripe",
		verify: async () => ({ ok: true as const }),
		path: "stripe",
		secrets: [],
		interpret,
	};
	const request = new Request("http://shop.test/api/webhooks/stripe", {
		method: "POST",
		body: JSON.stringify({ id: eventId, type: "payment_intent.succeeded" }),
	});
	return receiveWebhook(provider, { request, env, nowSeconds: 0, requestId: "r" });
}

describe("our own code throwing on a signed event", () => {
	it("is recorded failed with the error's class only, answered 200", async () => {
		const eventId = uniqueId("evt");
		const response = await receiveWithStripeReplaced(eventId, () => {
			throw new RangeError("Invalid time value");
		});
		expect(response.status).toBe(200);
		expect(await response.json()).toEqual({ received: true, outcome: "failed" });
		const [ledger] = await ledgerRows("stripe", eventId);
		expect(ledger).toMatchObject({
			status: "failed",
			lastError: "internal error while reading the event: RangeError",
		});
	});

	it("while building the event's changes: recorded failed, 200, never queued as an outage", async () => {
		const eventId = uniqueId("evt");
		const response = await receiveWithStripeReplaced(eventId, () => ({
			kind: "apply" as const,
			eventId,
			eventType: "payment_intent.succeeded",
			changes: () => {
				throw new TypeError("x is undefined");
			},
		}));
		expect(response.status).toBe(200);
		expect(await response.json()).toEqual({ received: true, outcome: "failed" });
		expect(await ledgerRows("stripe", eventId)).toMatchObject([
			{ status: "failed", lastError: "internal error while building the event's changes: TypeError" },
		]);
	});
});

describe("a database that refuses the event", () => {
	let stopRefusing = async () => {};
	const triggerFor = async (userId: string, errcode: string) => {
		stopRefusing = await refuseUserWrites("refuse_user", userId, errcode);
	};
	afterEach(() => stopRefusing());

	it.each(["P0001", "22P02", "22003", "23514", "XX000"])(
		"with a deterministic SQLSTATE %s: failed, 200, nothing applied, and a redelivery after the fix applies it",
		async (errcode) => {
			const userId = uniqueId("user");
			await triggerFor(userId, errcode);
			const eventId = uniqueId("msg");
			const event = userEvent("user.created", userId, T0);
			const delivered = await deliver(clerkRequest(event, { id: eventId }));
			expect(delivered.status).toBe(200);
			expect(delivered.body).toEqual({ received: true, outcome: "failed" });
			expect(webhookLine(delivered)).toMatchObject({ level: "error", error_code: errcode });
			expect(await ledgerRows("clerk", eventId)).toMatchObject([
				{ status: "failed", attempts: 1, lastError: expect.stringMatching(`^database refused the event: ${errcode}`) },
			]);
			expect(await userRow(userId)).toBeUndefined();

			await stopRefusing();
			const again = await deliver(clerkRequest(event, { id: eventId }));
			expect(again.body).toEqual({ received: true, outcome: "applied" });
			expect(await ledgerRows("clerk", eventId)).toMatchObject([{ status: "processed", attempts: 2, lastError: null }]);
			expect((await userRow(userId))?.firstName).toBe("Jane");
		},
	);

	it.each(["40001", "40P01", "53300", "57014", "08006", "55P03"])(
		"with a transient SQLSTATE %s and no queue: 503 and nothing written, so the sender's retry applies it",
		async (errcode) => {
			const userId = uniqueId("user");
			await triggerFor(userId, errcode);
			const eventId = uniqueId("msg");
			const delivered = await deliver(
				clerkRequest(userEvent("user.created", userId, T0), { id: eventId }),
				withoutQueue(),
			);
			expect(delivered.status).toBe(503);
			expect(webhookLine(delivered)).toMatchObject({ reason: "database_unavailable", error_code: errcode });
			expect(await ledgerRows("clerk", eventId)).toEqual([]);
		},
	);
});
