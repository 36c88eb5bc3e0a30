/**
 * Issue "every signed event accounted for", kinds 3, 4 and 8: a type we do not handle is `ignored`
 * whatever its shape (Stripe v2 thin events); a redelivery runs an `unmatched` or `failed` event
 * again against today's data, counting attempts, while `processed`/`ignored` stay duplicates; an
 * event of a Stripe connected account applies only when the account is listed in
 * STRIPE_CONNECT_ACCOUNTS (vitest.config.ts binds `acct_1ListedShop, acct_1OtherListed`).
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { orders } from "../../src/db/schema";
import { clerkRequest, uniqueId, userEvent } from "../support/clerk";
import { deliver, deliverAll, webhookLine } from "../support/deliver";
import { ledgerRows, testDb, userRow } from "../support/rows";
import { pendingOrder, stripeEvent, stripeRequest } from "../support/stripe";

const T = 1_790_000_000;
const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

async function orderRow(id: string) {
	const [row] = await testDb().select().from(orders).where(eq(orders.id, id));
	return row;
}

function succeeded(order: { id: string; stripePaymentIntentId: string }) {
	const event = stripeEvent("payment_intent.succeeded", undefined, T);
	event.data.object.id = order.stripePaymentIntentId;
	event.data.object.metadata = { order_id: order.id };
	return event;
}

describe("type before shape", () => {
	it("a Stripe v2 thin event (no data, an ISO created) is ignored, logged at info", async () => {
		const id = uniqueId("evt_test");
		const thin = {
			id,
			object: "v2.core.event",
			type: "v1.billing.meter.error_report_triggered",
			created: "2026-11-29T12:00:00.000Z",
			livemode: false,
			related_object: { id: "mtr_test_123", type: "billing.meter", url: "/v1/billing/meters/mtr_test_123" },
		};
		const delivered = await deliver(await stripeRequest(thin));
		expect(delivered.body).toEqual({ received: true, outcome: "ignored" });
		expect(webhookLine(delivered)).toMatchObject({ level: "info", outcome: "ignored", event_type: thin.type });
		expect(await ledgerRows("stripe", id)).toMatchObject([{ status: "ignored", lastError: null }]);
	});

	it.each([
		["no data", { type: "customer.created", created: T }],
		["data is a number", { type: "product.updated", created: T, data: 5 }],
		["created is a string", { type: "price.created", created: "yesterday", data: { object: {} } }],
		["data.object is an array", { type: "invoice.created", created: T, data: { object: [] } }],
	])("an unhandled Stripe type with %s is ignored", async (_, body) => {
		const event = { id: uniqueId("evt"), ...body };
		const delivered = await deliver(await stripeRequest(event));
		expect(delivered.body).toEqual({ received: true, outcome: "ignored" });
	});

	it.each([
		["session.created without data", { type: "session.created", timestamp: T0 }],
		["email.created with data a string", { type: "email.created", data: "x", timestamp: "soon" }],
		["organization.updated with a negative timestamp", { type: "organization.updated", data: {}, timestamp: -5 }],
	])("an unhandled Clerk type (%s) is ignored", async (_, body) => {
		const delivered = await deliver(clerkRequest(body));
		expect(delivered.body).toEqual({ received: true, outcome: "ignored" });
	});

	it("a handled type with a broken shape is failed, with the path in the reason", async () => {
		const event = { id: uniqueId("evt"), type: "payment_intent.succeeded", created: T };
		const delivered = await deliver(await stripeRequest(event));
		expect(delivered.body).toEqual({ received: true, outcome: "failed" });
		expect(await ledgerRows("stripe", event.id)).toMatchObject([
			{ status: "failed", lastError: "envelope: data: Invalid input: expected object, received undefined" },
		]);
	});

	it("a body with no type at all is failed (nothing says what it was)", async () => {
		const event = { id: uniqueId("evt"), created: T, data: { object: {} } };
		const delivered = await deliver(await stripeRequest(event));
		expect(delivered.body).toEqual({ received: true, outcome: "failed" });
	});
});

describe("a redelivery retries what did not succeed", () => {
	it("unmatched, then the order is created, then Stripe's Resend: applied, attempts 2; a third copy is a duplicate", async () => {
		const order = { id: uniqueId("order"), stripePaymentIntentId: uniqueId("pi") };
		const event = succeeded(order);
		const first = await deliver(await stripeRequest(event));
		expect(first.body.outcome).toBe("unmatched");

		await testDb()
			.insert(orders)
			.values({ ...order, amountTotal: 4999, currency: "usd" });
		const resent = await deliver(await stripeRequest(event));
		expect(resent.body).toEqual({ received: true, outcome: "applied" });
		expect(webhookLine(resent)).toMatchObject({ outcome: "applied", attempt: 2 });
		expect(resent.databaseRequests).toHaveLength(1); // one round trip, as for a first delivery
		expect((await orderRow(order.id))?.status).toBe("paid");
		expect(await ledgerRows("stripe", event.id)).toMatchObject([{ status: "processed", attempts: 2 }]);

		const third = await deliver(await stripeRequest(event));
		expect(third.body).toEqual({ received: true, outcome: "duplicate" });
		expect(await ledgerRows("stripe", event.id)).toMatchObject([{ status: "processed", attempts: 2 }]);
	});

	it("unmatched and still unmatched: attempts count up, the status stays", async () => {
		const event = succeeded({ id: uniqueId("order"), stripePaymentIntentId: uniqueId("pi") });
		await deliver(await stripeRequest(event));
		const again = await deliver(await stripeRequest(event));
		expect(again.body).toEqual({ received: true, outcome: "unmatched" });
		expect(await ledgerRows("stripe", event.id)).toMatchObject([{ status: "unmatched", attempts: 2 }]);
	});

	it("processed and ignored events stay duplicates", async () => {
		const order = await pendingOrder();
		const paid = succeeded(order);
		await deliver(await stripeRequest(paid));
		const ignoredEvent = { id: uniqueId("evt"), type: "customer.created", created: T, data: { object: {} } };
		await deliver(await stripeRequest(ignoredEvent));
		for (const event of [paid, ignoredEvent]) {
			const again = await deliver(await stripeRequest(event));
			expect(again.body).toEqual({ received: true, outcome: "duplicate" });
			expect(await ledgerRows("stripe", event.id)).toMatchObject([{ attempts: 1 }]);
		}
	});

	it("eight concurrent resends of an unmatched event, once its order exists: one new attempt applies it", async () => {
		const order = { id: uniqueId("order"), stripePaymentIntentId: uniqueId("pi") };
		const event = succeeded(order);
		await deliver(await stripeRequest(event));
		await testDb()
			.insert(orders)
			.values({ ...order, amountTotal: 4999, currency: "usd" });
		const requests = await Promise.all(Array.from({ length: 8 }, () => stripeRequest(event)));
		expect(await deliverAll(requests)).toEqual(Array(8).fill(200));
		expect(await ledgerRows("stripe", event.id)).toMatchObject([{ status: "processed", attempts: 2 }]);
		expect((await orderRow(order.id))?.status).toBe("paid");
	});

	it("a failed body redelivered unchanged fails again, counting attempts", async () => {
		const userId = uniqueId("user");
		const eventId = uniqueId("msg");
		const event = userEvent("user.created", userId, T0);
		(event.data as Record<string, unknown>).updated_at = "not a number";
		const failed = await deliver(clerkRequest(event, { id: eventId }));
		expect(failed.body.outcome).toBe("failed");
		// The sender cannot change a signed body; a redelivery of the same failed body fails again.
		const again = await deliver(clerkRequest(event, { id: eventId }));
		expect(again.body.outcome).toBe("failed");
		expect(await ledgerRows("clerk", eventId)).toMatchObject([{ status: "failed", attempts: 2 }]);
		expect(await userRow(userId)).toBeUndefined();
	});
});

describe("Stripe Connect", () => {
	function connectEvent(order: { id: string; stripePaymentIntentId: string }, account: unknown) {
		return { ...succeeded(order), account };
	}

	it.each([["acct_1Unknown"], [""], [42], [{ id: "acct_1ListedShop" }]])(
		"an event of a connected account not listed (%j) is ignored, and never moves a platform order",
		async (account) => {
			const order = await pendingOrder();
			const event = connectEvent(order, account);
			const delivered = await deliver(await stripeRequest(event));
			expect(delivered.body).toEqual({ received: true, outcome: "ignored" });
			expect(webhookLine(delivered)).toMatchObject({ reason: "connect_account_not_listed" });
			expect((await orderRow(order.id))?.status).toBe("pending");
			expect(await ledgerRows("stripe", event.id)).toMatchObject([{ status: "ignored" }]);
		},
	);

	it.each(["acct_1ListedShop", "acct_1OtherListed"])("an event of a listed account (%s) applies", async (account) => {
		const order = await pendingOrder();
		const delivered = await deliver(await stripeRequest(connectEvent(order, account)));
		expect(delivered.body).toEqual({ received: true, outcome: "applied" });
		expect((await orderRow(order.id))?.status).toBe("paid");
	});

	it("account: null is a platform event", async () => {
		const order = await pendingOrder();
		const delivered = await deliver(await stripeRequest(connectEvent(order, null)));
		expect(delivered.body).toEqual({ received: true, outcome: "applied" });
	});
});
