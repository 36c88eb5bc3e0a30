/**
 * Cost and interoperability for Stripe: every event is one HTTP request to the database endpoint,
 * and the signed deliveries in the shared vectors pass through the real endpoint.
 */
import { describe, expect, it } from "vitest";
import { deliver } from "../support/deliver";
import { ledgerRows } from "../support/rows";
import { chargeRefunded, pendingOrder, type StripeTestEvent, stripeEvent, stripeRequest } from "../support/stripe";
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
