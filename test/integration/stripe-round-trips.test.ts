/**
 * Cost and interoperability for Stripe: every event is one HTTP request to the database endpoint,
 * and the signed deliveries in the shared vectors pass through the real endpoint.
 */
import { describe, expect, it } from "vitest";
import { uniqueId } from "../support/clerk";
import { deliver, webhookLine } from "../support/deliver";
import { checkoutEvent, intentEvent } from "../support/money";
import { ledgerRows } from "../support/rows";
import {
	chargeRefunded,
	disputeEvent,
	pendingOrder,
	type StripeTestEvent,
	stripeEvent,
	stripeRequest,
} from "../support/stripe";
import { deliverVector, type SignatureVector, stripeVectors } from "../support/vectors";

describe("database round trips", () => {
	const cases: [string, (order: Awaited<ReturnType<typeof pendingOrder>>) => StripeTestEvent][] = [
		["payment_intent.succeeded", () => stripeEvent("payment_intent.succeeded")],
		["payment_intent.payment_failed", () => stripeEvent("payment_intent.payment_failed")],
		["checkout.session.completed", () => stripeEvent("checkout.session.completed")],
		["charge.refunded", (order) => chargeRefunded(order.stripePaymentIntentId, 4999, 100, 1_790_000_000)],
		["invoice.paid", () => stripeEvent("invoice.paid")],
		["invoice.payment_failed", () => stripeEvent("invoice.payment_failed")],
		["customer.subscription.updated", () => stripeEvent("customer.subscription.updated")],
		["an ignored type", () => stripeEvent("invoice.paid", "customer.created")],
		// issue 8
		["payment_intent.processing", (order) => intentEvent("payment_intent.processing", order)],
		[
			"checkout.session.async_payment_succeeded",
			(order) => checkoutEvent("checkout.session.async_payment_succeeded", order),
		],
		[
			"charge.dispute.created",
			(order) =>
				disputeEvent("charge.dispute.created", {
					status: "needs_response",
					charge: uniqueId("ch"),
					paymentIntent: order.stripePaymentIntentId,
				}),
		],
		[
			"charge.dispute.closed (lost)",
			(order) =>
				disputeEvent("charge.dispute.closed", {
					status: "lost",
					charge: uniqueId("ch"),
					paymentIntent: order.stripePaymentIntentId,
				}),
		],
	];

	it.each(cases)("%s costs exactly one request", async (_, build) => {
		const order = await pendingOrder();
		const event = build(order);
		if (event.data.object.metadata && "order_id" in event.data.object.metadata)
			event.data.object.metadata.order_id = order.id;
		const delivered = await deliver(await stripeRequest(event));
		expect(delivered.status).toBe(200);
		expect(delivered.databaseRequests).toHaveLength(1);
	});

	// An alert that depends on the database (the order found, not covered) is read in the same round trip.
	it.each([
		[
			"payment_intent.succeeded for less (payment_mismatch)",
			(order: Awaited<ReturnType<typeof pendingOrder>>) =>
				intentEvent("payment_intent.succeeded", order, { amount: 100 }),
		],
		[
			"checkout.session.completed for less (payment_mismatch)",
			(order: Awaited<ReturnType<typeof pendingOrder>>) =>
				checkoutEvent("checkout.session.completed", order, { amount: 100 }),
		],
		[
			"a dispute of no known order (unmatched)",
			() =>
				disputeEvent("charge.dispute.created", {
					status: "needs_response",
					charge: uniqueId("ch_nowhere"),
					paymentIntent: uniqueId("pi_nowhere"),
				}),
		],
	])("%s costs exactly one request, alert included", async (_, build) => {
		const order = await pendingOrder();
		const delivered = await deliver(await stripeRequest(build(order)));
		expect(delivered.status).toBe(200);
		expect(webhookLine(delivered)).toHaveProperty("alert");
		expect(delivered.databaseRequests).toHaveLength(1);
	});
});

describe("shared Stripe vectors through POST /api/webhooks/stripe", () => {
	/** 200 when valid; 400 for the empty body; 401 otherwise (future skew included: see the unit test). */
	function expectedStatus(vector: SignatureVector): number {
		if (vector.body === "") return 400;
		if (vector.policy_dependent && vector.description.startsWith("future timestamp")) return 401;
		return vector.expected_valid ? 200 : 401;
	}

	it.each(stripeVectors.map((v) => [v.description, v] as const))("%s", async (_, vector) => {
		const delivered = await deliverVector(vector, "/api/webhooks/stripe", "STRIPE_WEBHOOK_SECRET");
		expect(delivered.status).toBe(expectedStatus(vector));
		if (delivered.status === 200) {
			const { id } = JSON.parse(vector.body as string) as { id: string };
			expect(await ledgerRows("stripe", id)).toHaveLength(1);
		}
	});
});
