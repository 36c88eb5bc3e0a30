/**
 * Issue 10, an order's two dimensions: Stripe's events climb `payment_status`, the shipments set
 * `shipping_status` (here written as the shipments would leave it), and `status` shows the shipping
 * status unless the money went back: a partial refund or a payment mismatch leaves a shipped order
 * shipped, a whole refund, a lost dispute or a cancellation shows through. No Stripe event touches
 * `shipping_status`, whatever the order of the two.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { type OrderShippingStatus, orders } from "../../src/db/schema";
import { uniqueId } from "../support/clerk";
import { intentEvent, orderRow, sendOnce, T } from "../support/money";
import { testDb } from "../support/rows";
import { chargeRefunded, disputeEvent, pendingOrder } from "../support/stripe";

/** What the order's shipments leave on it (src/domain/shipments.ts derives it). */
async function ship(orderId: string, shippingStatus: OrderShippingStatus) {
	await testDb().update(orders).set({ shippingStatus }).where(eq(orders.id, orderId));
}

/** An order paid in full (4999 usd) through its payment intent, with the charge the payment recorded. */
async function paidOrder() {
	const order = await pendingOrder(4999);
	const charge = uniqueId("ch");
	await sendOnce(intentEvent("payment_intent.succeeded", order, { amount: 4999, charge, created: T }));
	return { ...order, charge };
}

const dimensions = async (id: string) => {
	const row = await orderRow(id);
	return { status: row?.status, paymentStatus: row?.paymentStatus, shippingStatus: row?.shippingStatus };
};

describe("status from payment_status and shipping_status", () => {
	it("a paid order that ships shows shipped, then delivered; payment_status stays paid", async () => {
		const order = await paidOrder();
		expect(await dimensions(order.id)).toEqual({ status: "paid", paymentStatus: "paid", shippingStatus: null });
		await ship(order.id, "shipped");
		expect(await dimensions(order.id)).toEqual({ status: "shipped", paymentStatus: "paid", shippingStatus: "shipped" });
		await ship(order.id, "delivered");
		expect(await dimensions(order.id)).toEqual({
			status: "delivered",
			paymentStatus: "paid",
			shippingStatus: "delivered",
		});
	});

	it("a partial refund of a shipped order: still shipped, the payment partially_refunded", async () => {
		const order = await paidOrder();
		await ship(order.id, "shipped");
		await sendOnce(chargeRefunded(order.stripePaymentIntentId, 4999, 1000, T + 100));
		expect(await dimensions(order.id)).toEqual({
			status: "shipped",
			paymentStatus: "partially_refunded",
			shippingStatus: "shipped",
		});
	});

	it("a whole refund of a delivered order shows refunded; the parcel's state is kept beside it", async () => {
		const order = await paidOrder();
		await ship(order.id, "delivered");
		await sendOnce(chargeRefunded(order.stripePaymentIntentId, 4999, 4999, T + 100));
		expect(await dimensions(order.id)).toEqual({
			status: "refunded",
			paymentStatus: "refunded",
			shippingStatus: "delivered",
		});
	});

	it("refunded first, shipped after: still refunded (shipping never overwrites the money going back)", async () => {
		const order = await paidOrder();
		await sendOnce(chargeRefunded(order.stripePaymentIntentId, 4999, 4999, T + 100));
		await ship(order.id, "delivered");
		expect((await orderRow(order.id))?.status).toBe("refunded");
	});

	it("a lost dispute on a shipped order: charged_back", async () => {
		const order = await paidOrder();
		await ship(order.id, "delivery_exception");
		await sendOnce(
			disputeEvent("charge.dispute.closed", {
				status: "lost",
				charge: order.charge,
				paymentIntent: order.stripePaymentIntentId,
				created: T + 100,
			}),
		);
		expect(await dimensions(order.id)).toEqual({
			status: "charged_back",
			paymentStatus: "charged_back",
			shippingStatus: "delivery_exception",
		});
	});

	it("a failed payment of an order the shop shipped anyway shows cancelled, with its reason", async () => {
		const order = await pendingOrder(4999);
		await ship(order.id, "shipped");
		await sendOnce(intentEvent("payment_intent.payment_failed", order, { created: T }));
		const row = await orderRow(order.id);
		expect(row).toMatchObject({ status: "cancelled", paymentStatus: "cancelled", shippingStatus: "shipped" });
		expect(row?.paymentError).not.toBeNull();
	});

	it("a short payment of a shipped order: shipped, the payment payment_mismatch", async () => {
		const order = await pendingOrder(4999);
		await ship(order.id, "shipped");
		await sendOnce(intentEvent("payment_intent.succeeded", order, { amount: 1000, created: T }));
		expect(await dimensions(order.id)).toEqual({
			status: "shipped",
			paymentStatus: "payment_mismatch",
			shippingStatus: "shipped",
		});
	});
});
