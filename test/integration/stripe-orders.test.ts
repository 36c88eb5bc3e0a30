/**
 * POST /api/webhooks/stripe, payment events: orders are paid, cancelled and refunded exactly once,
 * found by metadata.order_id, client_reference_id or payment intent id, whatever the delivery order.
 */
import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { orders, users } from "../../src/db/schema";
import { clerkRequest, uniqueId, userEvent } from "../support/clerk";
import { deliver, webhookLine } from "../support/deliver";
import { withoutQueue } from "../support/queue";
import { ledgerRows, testDb } from "../support/rows";
import { stripePreviousSecret } from "../support/secrets";
import { chargeRefunded, pendingOrder, type StripeTestEvent, stripeEvent, stripeRequest } from "../support/stripe";
import { unreachableDatabaseUrl } from "../support/unreachable";

const T = 1_790_000_000; // event `created`, unix seconds
const at = (seconds: number) => new Date(seconds * 1000);

async function orderRow(id: string) {
	const [row] = await testDb().select().from(orders).where(eq(orders.id, id));
	return row;
}

function succeeded(order: { id: string; stripePaymentIntentId: string }, created = T) {
	const event = stripeEvent("payment_intent.succeeded", undefined, created);
	event.data.object.id = order.stripePaymentIntentId;
	event.data.object.metadata = { order_id: order.id };
	return event;
}

function failed(
	order: { id: string; stripePaymentIntentId: string },
	created = T,
	type = "payment_intent.payment_failed",
) {
	const event = stripeEvent("payment_intent.payment_failed", type, created);
	event.data.object.id = order.stripePaymentIntentId;
	event.data.object.metadata = { order_id: order.id };
	return event;
}

async function send(event: StripeTestEvent | string, options?: { secret?: string }) {
	return deliver(await stripeRequest(event, options));
}

describe("payment intents", () => {
	it("payment_intent.succeeded marks the order paid and records the event", async () => {
		const order = await pendingOrder();
		const event = succeeded(order);
		const delivered = await send(event);

		expect(delivered.status).toBe(200);
		expect(delivered.body).toEqual({ received: true, outcome: "applied" });
		expect(await orderRow(order.id)).toMatchObject({ status: "paid", paidAt: at(T) });
		expect(await ledgerRows("stripe", event.id)).toMatchObject([
			{ status: "processed", eventType: "payment_intent.succeeded" },
		]);
		expect(webhookLine(delivered)).toMatchObject({
			provider: "stripe",
			event_id: event.id,
			outcome: "applied",
			status: 200,
		});
		expect(delivered.logText).not.toContain("jane.doe@example.com");
	});

	it.each(["payment_intent.payment_failed", "payment_intent.failed"])(
		"%s cancels the order with the decline reason",
		async (type) => {
			const order = await pendingOrder();
			const delivered = await send(failed(order, T, type));
			expect(delivered.body.outcome).toBe("applied");
			expect(await orderRow(order.id)).toMatchObject({
				status: "cancelled",
				cancelledAt: at(T),
				paymentError: "insufficient_funds: Your card has insufficient funds.",
			});
		},
	);

	it("payment_intent.canceled cancels the order", async () => {
		const order = await pendingOrder();
		const event = failed(order, T, "payment_intent.canceled");
		event.data.object.cancellation_reason = "abandoned";
		event.data.object.last_payment_error = null;
		await send(event);
		expect(await orderRow(order.id)).toMatchObject({ status: "cancelled", paymentError: "canceled: abandoned" });
	});

	it("finds the order by its payment intent id when there is no metadata", async () => {
		const order = await pendingOrder();
		const event = succeeded(order);
		event.data.object.metadata = {};
		await send(event);
		expect(await orderRow(order.id)).toMatchObject({ status: "paid" });
	});

	it("an event for no known order: 200, recorded as unmatched, an alert logged", async () => {
		const event = succeeded({ id: uniqueId("order_nowhere"), stripePaymentIntentId: uniqueId("pi_nowhere") });
		const delivered = await send(event);
		expect(delivered.status).toBe(200);
		expect(delivered.body.outcome).toBe("unmatched");
		expect(webhookLine(delivered)).toMatchObject({ level: "error", outcome: "unmatched", alert: "webhook_unmatched" });
		expect(await ledgerRows("stripe", event.id)).toMatchObject([{ status: "unmatched" }]);
	});
});

describe("checkout sessions", () => {
	function checkout(
		type: string,
		ref: { orderId?: string; clientReferenceId?: string },
		paymentIntent: string,
		created = T,
	) {
		const event = stripeEvent("checkout.session.completed", type, created);
		event.data.object.id = uniqueId("cs_test");
		event.data.object.metadata = ref.orderId ? { order_id: ref.orderId } : {};
		event.data.object.client_reference_id = ref.clientReferenceId ?? null;
		event.data.object.payment_intent = paymentIntent;
		return event;
	}

	it("checkout.session.completed (paid) marks the order paid and links the session, the payment intent and the buyer", async () => {
		const userId = uniqueId("user");
		await deliver(clerkRequest(userEvent("user.created", userId, Date.UTC(2026, 0, 1))));
		const order = await pendingOrder(4999, { stripePaymentIntentId: null as unknown as string, userId });
		const paymentIntent = uniqueId("pi");
		const event = checkout("checkout.session.completed", { clientReferenceId: order.id }, paymentIntent);
		event.data.object.customer = uniqueId("cus");

		const delivered = await send(event);

		expect(delivered.body.outcome).toBe("applied");
		expect(await orderRow(order.id)).toMatchObject({
			status: "paid",
			paidAt: at(T),
			stripeCheckoutSessionId: event.data.object.id,
			stripeCheckoutPaymentIntentId: paymentIntent,
		});
		const [buyer] = await testDb().select().from(users).where(eq(users.id, userId));
		expect(buyer?.stripeCustomerId).toBe(event.data.object.customer);
		// the payment intent now finds the order
		const refund = await send(chargeRefunded(paymentIntent, 4999, 4999, T + 60));
		expect(refund.body.outcome).toBe("applied");
	});

	it("checkout.session.completed with payment pending links the order and makes it processing", async () => {
		const order = await pendingOrder();
		const event = checkout("checkout.session.completed", { orderId: order.id }, order.stripePaymentIntentId);
		event.data.object.payment_status = "unpaid";
		await send(event);
		expect(await orderRow(order.id)).toMatchObject({
			status: "processing",
			stripeCheckoutSessionId: event.data.object.id,
			amountReceived: null,
		});
	});

	it("async_payment_succeeded pays; async_payment_failed and expired cancel only an unpaid order", async () => {
		const paidLater = await pendingOrder();
		await send(
			checkout("checkout.session.async_payment_succeeded", { orderId: paidLater.id }, paidLater.stripePaymentIntentId),
		);
		expect(await orderRow(paidLater.id)).toMatchObject({ status: "paid" });

		const failedLater = await pendingOrder();
		await send(
			checkout("checkout.session.async_payment_failed", { orderId: failedLater.id }, failedLater.stripePaymentIntentId),
		);
		expect(await orderRow(failedLater.id)).toMatchObject({
			status: "cancelled",
			paymentError: "checkout_async_payment_failed",
		});

		const expired = await pendingOrder();
		await send(checkout("checkout.session.expired", { orderId: expired.id }, expired.stripePaymentIntentId));
		expect(await orderRow(expired.id)).toMatchObject({ status: "cancelled", paymentError: "checkout_expired" });

		const expiredAfterPaying = await pendingOrder();
		await send(succeeded(expiredAfterPaying, T));
		await send(
			checkout(
				"checkout.session.expired",
				{ orderId: expiredAfterPaying.id },
				expiredAfterPaying.stripePaymentIntentId,
				T + 10,
			),
		);
		expect(await orderRow(expiredAfterPaying.id)).toMatchObject({ status: "paid" });
	});
});

describe("refunds", () => {
	it("a partial refund, then the rest: partially_refunded, then refunded", async () => {
		const order = await pendingOrder(5000);
		await send(succeeded(order, T));
		await send(chargeRefunded(order.stripePaymentIntentId, 5000, 1500, T + 100));
		expect(await orderRow(order.id)).toMatchObject({
			status: "partially_refunded",
			amountRefunded: 1500,
			refundedAt: at(T + 100),
		});
		await send(chargeRefunded(order.stripePaymentIntentId, 5000, 5000, T + 200));
		expect(await orderRow(order.id)).toMatchObject({
			status: "refunded",
			amountRefunded: 5000,
			refundedAt: at(T + 200),
		});
	});

	it("a late partial refund does not undo a full one", async () => {
		const order = await pendingOrder(5000);
		await send(succeeded(order, T));
		await send(chargeRefunded(order.stripePaymentIntentId, 5000, 5000, T + 200));
		const late = await send(chargeRefunded(order.stripePaymentIntentId, 5000, 1500, T + 100));
		expect(late.body.outcome).toBe("stale");
		expect(await orderRow(order.id)).toMatchObject({ status: "refunded", amountRefunded: 5000 });
	});
});

describe("delivery order and duplicates", () => {
	// Real time order: a failed attempt (T), then success (T+60), then a refund (T+120).
	const events = {
		failed: (o: Awaited<ReturnType<typeof pendingOrder>>) => failed(o, T),
		succeeded: (o: Awaited<ReturnType<typeof pendingOrder>>) => succeeded(o, T + 60),
		refunded: (o: Awaited<ReturnType<typeof pendingOrder>>) =>
			chargeRefunded(o.stripePaymentIntentId, 4999, 4999, T + 120),
	};
	type Name = keyof typeof events;
	const pairs: [Name, Name, string][] = [
		["failed", "succeeded", "paid"],
		["succeeded", "failed", "paid"],
		["succeeded", "refunded", "refunded"],
		["refunded", "succeeded", "refunded"],
		["failed", "refunded", "refunded"],
		["refunded", "failed", "refunded"],
	];

	it.each(pairs)("%s then %s ends %s", async (first, second, finalStatus) => {
		const order = await pendingOrder();
		await send(events[first](order));
		await send(events[second](order));
		expect((await orderRow(order.id))?.status).toBe(finalStatus);
	});

	it("all three in every order end refunded, with paid_at from the success", async () => {
		for (const sequence of [
			["refunded", "failed", "succeeded"],
			["succeeded", "refunded", "failed"],
			["failed", "refunded", "succeeded"],
		] as Name[][]) {
			const order = await pendingOrder();
			for (const name of sequence) await send(events[name](order));
			expect(await orderRow(order.id)).toMatchObject({ status: "refunded", paidAt: at(T + 60), amountRefunded: 4999 });
		}
	});

	it("the same event twice changes nothing the second time", async () => {
		const order = await pendingOrder();
		const event = failed(order, T);
		await send(event);
		await send(succeeded(order, T + 60));
		const again = await send(event);
		expect(again.body.outcome).toBe("duplicate");
		expect(await orderRow(order.id)).toMatchObject({ status: "paid" });
		expect(await ledgerRows("stripe", event.id)).toHaveLength(1);
	});

	it("an older failure does not overwrite a newer failure's reason", async () => {
		const order = await pendingOrder();
		const newer = failed(order, T + 60);
		newer.data.object.last_payment_error = {
			code: "card_declined",
			decline_code: "lost_card",
			message: "Your card was declined.",
		};
		await send(newer);
		const older = await send(failed(order, T));
		expect(older.body.outcome).toBe("stale");
		expect(await orderRow(order.id)).toMatchObject({
			paymentError: "lost_card: Your card was declined.",
			cancelledAt: at(T + 60),
		});
	});
});

describe("signatures and rejections", () => {
	it("accepts the previous secret during rotation", async () => {
		const order = await pendingOrder();
		const delivered = await send(succeeded(order), { secret: stripePreviousSecret });
		expect(delivered.status).toBe(200);
		expect((await orderRow(order.id))?.status).toBe("paid");
	});

	it.each([
		[
			"a secret we do not hold",
			async (e: StripeTestEvent) => stripeRequest(e, { secret: "whsec_other" }),
			401,
			"signature_mismatch",
		],
		[
			"a signature 10 minutes old",
			async (e: StripeTestEvent) => stripeRequest(e, { at: new Date(Date.now() - 600_000) }),
			401,
			"timestamp_outside_tolerance",
		],
		[
			"a signature 10 minutes ahead",
			async (e: StripeTestEvent) => stripeRequest(e, { at: new Date(Date.now() + 600_000) }),
			401,
			"timestamp_outside_tolerance",
		],
		[
			"no Stripe-Signature header",
			async (e: StripeTestEvent) =>
				new Request("http://shop.test/api/webhooks/stripe", { method: "POST", body: JSON.stringify(e) }),
			401,
			"missing_signature_headers",
		],
	])("%s → %i, nothing written", async (_, build, status, reason) => {
		const order = await pendingOrder();
		const event = succeeded(order);
		const delivered = await deliver(await build(event));
		expect(delivered.status).toBe(status);
		expect(delivered.body.error).toBe(reason);
		expect(await ledgerRows("stripe", event.id)).toHaveLength(0);
		expect((await orderRow(order.id))?.status).toBe("pending");
	});

	it("a database that cannot record the event, and no queue → 503, so Stripe retries", async () => {
		const order = await pendingOrder();
		const event = succeeded(order);
		const unreachable = withoutQueue({ ...env, DATABASE_URL: unreachableDatabaseUrl });
		const delivered = await deliver(await stripeRequest(event), unreachable);
		expect(delivered.status).toBe(503);
		expect(delivered.body.error).toBe("database_unavailable");
		expect(webhookLine(delivered)).toMatchObject({
			level: "error",
			reason: "database_unavailable",
			error: expect.stringContaining("Error connecting to database"),
		});
		expect((await orderRow(order.id))?.status).toBe("pending");
	});

	it("an empty body → 400", async () => {
		expect((await send("")).status).toBe(400);
	});

	it("a type we do not handle: 200, ignored", async () => {
		const event = stripeEvent("payment_intent.succeeded", "customer.created");
		const delivered = await send(event);
		expect(delivered.body.outcome).toBe("ignored");
		expect(await ledgerRows("stripe", event.id)).toMatchObject([{ status: "ignored", eventType: "customer.created" }]);
	});

	it("a validly signed event we cannot read: 200, failed with the reason", async () => {
		const event = stripeEvent("payment_intent.succeeded");
		delete event.data.object.id;
		const delivered = await send(event);
		expect(delivered.body.outcome).toBe("failed");
		expect(await ledgerRows("stripe", event.id)).toMatchObject([
			{ status: "failed", lastError: expect.stringMatching(/^id: /) },
		]);
	});

	it("a body without an event id is recorded once, keyed by its digest; a redelivery is a second attempt", async () => {
		const body = JSON.stringify({ object: "event", note: uniqueId("broken") });
		const first = await send(body);
		const again = await send(body);
		expect([first.body.outcome, again.body.outcome]).toEqual(["failed", "failed"]);
		const eventId = webhookLine(first).event_id;
		expect(eventId).toMatch(/^sha256:[0-9a-f]{64}$/);
		expect(webhookLine(again)).toMatchObject({ event_id: eventId, attempt: 2 });
	});
});
