/**
 * Test helper for issue 8 ("Money must match"): payment intent and checkout session events for one
 * order with the amount, currency and charge a test chooses, a delivery that must cost exactly one
 * database round trip, and the order row a user inspects.
 */
import { eq } from "drizzle-orm";
import { expect } from "vitest";
import { orders } from "../../src/db/schema";
import { uniqueId } from "./clerk";
import { type Delivered, deliver } from "./deliver";
import { testDb } from "./rows";
import { type StripeTestEvent, stripeEvent, stripeRequest } from "./stripe";

export const T = 1_790_000_000; // event `created`, unix seconds
export const at = (seconds: number) => new Date(seconds * 1000);

/** An order as the shop created it (test/support/stripe.ts pendingOrder). */
export interface ShopOrder {
	id: string;
	stripePaymentIntentId: string;
}

export async function orderRow(id: string) {
	const [row] = await testDb().select().from(orders).where(eq(orders.id, id));
	return row;
}

export interface PaymentOptions {
	/** `amount_received` of an intent, `amount_total` of a session. */
	amount?: number;
	currency?: string;
	/** the intent's `latest_charge`; a fresh one by default */
	charge?: string | null;
	created?: number;
}

/**
 * A payment intent event for `order` (its shop payment intent, `metadata.order_id`): succeeded with
 * `amount` received in `currency`, processing (nothing received yet), or failed.
 */
export function intentEvent(
	type: "payment_intent.succeeded" | "payment_intent.processing" | "payment_intent.payment_failed",
	order: ShopOrder,
	options: PaymentOptions = {},
): StripeTestEvent {
	const created = options.created ?? T;
	const event =
		type === "payment_intent.payment_failed"
			? stripeEvent("payment_intent.payment_failed", undefined, created)
			: stripeEvent("payment_intent.succeeded", type, created);
	const intent = event.data.object;
	intent.id = order.stripePaymentIntentId;
	intent.metadata = { order_id: order.id };
	intent.currency = options.currency ?? "usd";
	intent.amount = options.amount ?? 4999;
	intent.latest_charge = options.charge === undefined ? uniqueId("ch") : options.charge;
	if (type === "payment_intent.succeeded") {
		intent.amount_received = options.amount ?? 4999;
	} else if (type === "payment_intent.processing") {
		intent.amount_received = 0;
		intent.status = "processing";
		intent.payment_method_types = ["sepa_debit"];
	}
	return event;
}

/** A checkout session event for `order` (found by `metadata.order_id`) that collected `amount` in `currency`. */
export function checkoutEvent(
	type:
		| "checkout.session.completed"
		| "checkout.session.async_payment_succeeded"
		| "checkout.session.async_payment_failed"
		| "checkout.session.expired",
	order: ShopOrder,
	options: PaymentOptions & { paid?: boolean; sessionId?: string } = {},
): StripeTestEvent {
	const event = stripeEvent("checkout.session.completed", type, options.created ?? T);
	const session = event.data.object;
	session.id = options.sessionId ?? uniqueId("cs_test");
	session.metadata = { order_id: order.id };
	session.client_reference_id = null;
	session.payment_intent = order.stripePaymentIntentId;
	session.customer = null;
	session.amount_total = options.amount ?? 4999;
	session.amount_subtotal = options.amount ?? 4999;
	session.currency = options.currency ?? "usd";
	session.payment_status = (options.paid ?? true) ? "paid" : "unpaid";
	return event;
}

/**
 * Delivers a signed event and checks what every handled delivery must hold: HTTP 200 and exactly one
 * request to the database (issue 8: "one database round trip each").
 */
export async function sendOnce(event: StripeTestEvent | string): Promise<Delivered> {
	const delivered = await deliver(await stripeRequest(event));
	expect(delivered.status, JSON.stringify(delivered.body)).toBe(200);
	expect(delivered.databaseRequests).toHaveLength(1);
	return delivered;
}
