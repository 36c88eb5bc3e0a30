/**
 * @module providers/stripe/payments
 * Payment events that move orders: payment intents, checkout sessions, refunds and disputes.
 * An order is found by `metadata.order_id`, then a checkout session's `client_reference_id`, then
 * the payment intent id, then a charge a payment recorded; when none matches, the event is recorded
 * as `unmatched`. A payment that does not cover its order raises the `payment_mismatch` alert.
 */

import { sql } from "drizzle-orm";
import type * as z from "zod/mini";
import { orders } from "../../db/schema";
import { type OrderReference, orderBuyer, referencedOrderId } from "../../domain/order-update";
import {
	cancelOrder,
	covers,
	linkOrderToCheckout,
	linkPayment,
	markOrderProcessing,
	type Receipt,
	recordPayment,
	refundOrder,
} from "../../domain/orders";
import { linkStripeCustomer } from "../../domain/users";
import { logCode } from "../../log";
import { unreadable } from "../../validation";
import type { Alert, Change, ChangeBuilder, Interpretation } from "../../webhooks/provider";
import { orderEvent, type StripeEvent } from "./order-event";
import { charge, checkoutSession, paidCheckoutSession, paymentIntent, succeededPaymentIntent } from "./payload";

/**
 * The `payment_mismatch` alert: raised when the order the payment found is not covered by it, with
 * what came and what was due (ids and amounts only).
 */
function mismatchAlert(ref: OrderReference, receipt: Receipt): Alert {
	return {
		name: "payment_mismatch",
		level: "error",
		fields: { amount_received: receipt.amount, currency_received: logCode("currency", receipt.currency) },
		onlyIfFound: true,
		lookup: (db, isNew) =>
			db
				.select({ order_id: orders.id, amount_due: orders.amountTotal, currency_due: orders.currency })
				.from(orders)
				.where(sql`${orders.id} = ${referencedOrderId(ref)} and not ${covers(receipt)} and ${isNew}`),
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
		case "payment_intent.succeeded": {
			const succeeded = succeededPaymentIntent.safeParse(event.object);
			if (!succeeded.success) return unreadable(event.id, event.type, succeeded.error);
			const { amount_received, currency, latest_charge } = succeeded.data;
			const receipt = { amount: amount_received, currency, chargeId: latest_charge ?? null };
			return orderEvent(
				event,
				ref,
				(db, isNew) => [
					recordPayment(db, ref, event.eventAt, receipt, isNew),
					linkPayment(db, ref, { paymentIntentId: intent.id, chargeId: receipt.chargeId }, isNew),
				],
				mismatchAlert(ref, receipt),
			);
		}
		case "payment_intent.processing":
			return orderEvent(event, ref, (db, isNew) => [markOrderProcessing(db, ref, isNew)]);
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
	const completed = event.type === "checkout.session.completed";
	const paid =
		event.type === "checkout.session.async_payment_succeeded" || (completed && session.payment_status !== "unpaid");
	// completed but unpaid: an asynchronous method (a bank debit) is still collecting the money
	const collecting = completed && session.payment_status === "unpaid";
	const abandoned = event.type === "checkout.session.async_payment_failed" || event.type === "checkout.session.expired";
	let receipt: Receipt | undefined;
	if (paid) {
		const collected = paidCheckoutSession.safeParse(event.object);
		if (!collected.success) return unreadable(event.id, event.type, collected.error);
		// a setup-mode or free session (`no_payment_required`) may state no amount nor currency: nothing was collected
		const { amount_total, currency } = collected.data;
		receipt = { amount: amount_total ?? 0, currency: currency ?? null, chargeId: null };
	}
	const changes: ChangeBuilder = (db, isNew) => {
		const link = { checkoutSessionId: session.id, paymentIntentId: session.payment_intent ?? null, paid };
		const changes: [Change, ...Change[]] = [linkOrderToCheckout(db, ref, link, isNew)];
		if (receipt) changes.push(recordPayment(db, ref, event.eventAt, receipt, isNew));
		if (session.payment_intent)
			changes.push(linkPayment(db, ref, { paymentIntentId: session.payment_intent, chargeId: null }, isNew));
		if (collecting) changes.push(markOrderProcessing(db, ref, isNew));
		if (abandoned)
			changes.push(cancelOrder(db, ref, event.eventAt, event.type.replace("checkout.session.", "checkout_"), isNew));
		if (session.customer) changes.push(linkStripeCustomer(db, orderBuyer(ref), session.customer, isNew));
		return changes;
	};
	return orderEvent(event, ref, changes, receipt && mismatchAlert(ref, receipt));
}

function fromCharge(event: StripeEvent): Interpretation {
	const parsed = charge.safeParse(event.object);
	if (!parsed.success) return unreadable(event.id, event.type, parsed.error);
	const refunded = parsed.data;
	const ref = { orderId: refunded.metadata?.order_id, paymentIntentId: refunded.payment_intent, chargeId: refunded.id };
	const refund = {
		amountRefunded: refunded.amount_refunded,
		whole: refunded.amount_refunded >= refunded.amount,
		charge: { amount: refunded.amount, currency: refunded.currency ?? null, chargeId: refunded.id },
	};
	return orderEvent(event, ref, (db, isNew) => [refundOrder(db, ref, event.eventAt, refund, isNew)]);
}

/** The payment event types this module applies. */
export const paymentEventTypes = new Set([
	"payment_intent.succeeded",
	"payment_intent.processing",
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
