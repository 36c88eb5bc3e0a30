/**
 * @module providers/stripe/payments
 * Payment events that move orders: payment intents, checkout sessions and refunds.
 * An order is found by `metadata.order_id`, then a checkout session's `client_reference_id`, then
 * the payment intent id; when none matches, the event is recorded as `unmatched`.
 */

import type * as z from "zod/mini";
import {
	cancelOrder,
	linkOrderToCheckout,
	markOrderPaid,
	type OrderReference,
	orderBuyer,
	orderExists,
	refundOrder,
} from "../../domain/orders";
import { linkStripeCustomer } from "../../domain/users";
import { unreadable } from "../../validation";
import type { Change, ChangeBuilder, Interpretation } from "../../webhooks/provider";
import { charge, checkoutSession, paymentIntent } from "./payload";

export interface StripeEvent {
	id: string;
	type: string;
	eventAt: Date;
	object: Record<string, unknown>;
}

/** An event about an order; the order's buyer is the event's subject in the ledger (src/privacy.ts). */
function orderEvent(event: StripeEvent, ref: OrderReference, changes: ChangeBuilder): Interpretation {
	return {
		kind: "apply",
		eventId: event.id,
		eventType: event.type,
		target: orderExists(ref),
		subjectUserId: orderBuyer(ref),
		changes,
	};
}

/** The decline reason kept on a cancelled order: machine code first, then Stripe's message. */
function declineReason(error: z.infer<typeof paymentIntent>["last_payment_error"]): string {
	const code = error?.decline_code ?? error?.code;
	return [code, error?.message].filter(Boolean).join(": ") || "payment_failed";
}

function fromPaymentIntent(event: StripeEvent): Interpretation {
	const parsed = paymentIntent.safeParse(event.object);
	if (!parsed.success) return unreadable(event.id, event.type, parsed.error);
	const intent = parsed.data;
	const ref = { orderId: intent.metadata?.order_id, paymentIntentId: intent.id };
	switch (event.type) {
		case "payment_intent.succeeded":
			return orderEvent(event, ref, (db, isNew) => [markOrderPaid(db, ref, event.eventAt, isNew)]);
		case "payment_intent.canceled":
			return orderEvent(event, ref, (db, isNew) => [
				cancelOrder(db, ref, event.eventAt, `canceled: ${intent.cancellation_reason ?? "unknown"}`, isNew),
			]);
		default: // payment_intent.payment_failed (and the legacy name payment_intent.failed)
			return orderEvent(event, ref, (db, isNew) => [
				cancelOrder(db, ref, event.eventAt, declineReason(intent.last_payment_error), isNew),
			]);
	}
}

function fromCheckoutSession(event: StripeEvent): Interpretation {
	const parsed = checkoutSession.safeParse(event.object);
	if (!parsed.success) return unreadable(event.id, event.type, parsed.error);
	const session = parsed.data;
	const ref: OrderReference = {
		orderId: session.metadata?.order_id,
		clientReferenceId: session.client_reference_id,
		paymentIntentId: session.payment_intent,
	};
	const paid =
		event.type === "checkout.session.async_payment_succeeded" ||
		(event.type === "checkout.session.completed" && session.payment_status !== "unpaid");
	const abandoned = event.type === "checkout.session.async_payment_failed" || event.type === "checkout.session.expired";
	return orderEvent(event, ref, (db, isNew) => {
		const link = { checkoutSessionId: session.id, paymentIntentId: session.payment_intent ?? null, paid };
		const changes: [Change, ...Change[]] = [linkOrderToCheckout(db, ref, link, isNew)];
		if (paid) changes.push(markOrderPaid(db, ref, event.eventAt, isNew));
		if (abandoned)
			changes.push(cancelOrder(db, ref, event.eventAt, event.type.replace("checkout.session.", "checkout_"), isNew));
		if (session.customer) changes.push(linkStripeCustomer(db, orderBuyer(ref), session.customer, isNew));
		return changes;
	});
}

function fromCharge(event: StripeEvent): Interpretation {
	const parsed = charge.safeParse(event.object);
	if (!parsed.success) return unreadable(event.id, event.type, parsed.error);
	const refunded = parsed.data;
	const ref = { orderId: refunded.metadata?.order_id, paymentIntentId: refunded.payment_intent };
	const refund = { amountRefunded: refunded.amount_refunded, whole: refunded.amount_refunded >= refunded.amount };
	return orderEvent(event, ref, (db, isNew) => [refundOrder(db, ref, event.eventAt, refund, isNew)]);
}

/** The payment event types this module applies. */
export const paymentEventTypes = new Set([
	"payment_intent.succeeded",
	"payment_intent.payment_failed",
	"payment_intent.failed",
	"payment_intent.canceled",
	"checkout.session.completed",
	"checkout.session.async_payment_succeeded",
	"checkout.session.async_payment_failed",
	"checkout.session.expired",
	"charge.refunded",
]);

export function interpretPayment(event: StripeEvent): Interpretation {
	if (event.type.startsWith("payment_intent.")) return fromPaymentIntent(event);
	if (event.type.startsWith("checkout.session.")) return fromCheckoutSession(event);
	return fromCharge(event);
}
