/**
 * Stripe event templates for the send CLI (API version 2025-03-31.basil, shaped like
 * test/fixtures/payloads/stripe/). Their defaults point at the demo rows of `npm run db:seed`,
 * so every example in the README works against `npm run dev` without --set.
 */
import { randomBytes } from "node:crypto";

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString("base64url").replace(/[-_]/g, "x")}`;

function event(type: string, object: Record<string, unknown>, now: number) {
	return {
		id: id("evt"),
		object: "event",
		api_version: "2025-03-31.basil",
		created: Math.floor(now / 1000),
		data: { object },
		livemode: false,
		pending_webhooks: 1,
		request: { id: null, idempotency_key: null },
		type,
	};
}

function paymentIntent(orderId: string, status: string, extra: Record<string, unknown> = {}) {
	return {
		id: `pi_${orderId.replace("order_", "")}`,
		object: "payment_intent",
		amount: 4999,
		amount_received: status === "succeeded" ? 4999 : 0,
		currency: "usd",
		customer: "cus_demo_ada",
		metadata: { order_id: orderId },
		status,
		last_payment_error: null,
		...extra,
	};
}

function checkoutSession(orderId: string, paymentStatus: string, status: string) {
	return {
		id: id("cs_test"),
		object: "checkout.session",
		amount_total: 4999,
		client_reference_id: orderId,
		currency: "usd",
		customer: "cus_demo_ada",
		metadata: { order_id: orderId },
		mode: "payment",
		payment_intent: `pi_${orderId.replace("order_", "")}`,
		payment_status: paymentStatus,
		status,
	};
}

function invoice(status: string, amountPaid: number) {
	return {
		id: id("in"),
		object: "invoice",
		amount_due: 2000,
		amount_paid: amountPaid,
		billing_reason: "subscription_cycle",
		currency: "usd",
		customer: "cus_demo_ada",
		parent: {
			quote_details: null,
			subscription_details: { metadata: {}, subscription: "sub_demo_1" },
			type: "subscription_details",
		},
		status,
	};
}

function subscription(status: string, now: number, extra: Record<string, unknown> = {}) {
	const seconds = Math.floor(now / 1000);
	return {
		id: "sub_demo_1",
		object: "subscription",
		cancel_at_period_end: false,
		canceled_at: null,
		customer: "cus_demo_ada",
		items: {
			object: "list",
			data: [
				{
					id: "si_demo_1",
					object: "subscription_item",
					current_period_start: seconds,
					current_period_end: seconds + 30 * 86400,
					price: { id: "price_demo_pro", object: "price", unit_amount: 2000, currency: "usd" },
					quantity: 1,
				},
			],
		},
		metadata: { user_id: "user_demo_ada" },
		status,
		...extra,
	};
}

const declined = {
	last_payment_error: {
		code: "card_declined",
		decline_code: "insufficient_funds",
		message: "Your card has insufficient funds.",
	},
};

/** The event types the CLI can build; demo order N is `order_demo_N` with payment intent `pi_demo_N`. */
export const stripeTemplates: Record<string, (now: number) => Record<string, unknown>> = {
	"payment_intent.succeeded": (now) =>
		event("payment_intent.succeeded", paymentIntent("order_demo_1", "succeeded"), now),
	"payment_intent.payment_failed": (now) =>
		event("payment_intent.payment_failed", paymentIntent("order_demo_2", "requires_payment_method", declined), now),
	"payment_intent.canceled": (now) =>
		event(
			"payment_intent.canceled",
			paymentIntent("order_demo_3", "canceled", { cancellation_reason: "abandoned" }),
			now,
		),
	"checkout.session.completed": (now) =>
		event("checkout.session.completed", checkoutSession("order_demo_4", "paid", "complete"), now),
	"checkout.session.async_payment_succeeded": (now) =>
		event("checkout.session.async_payment_succeeded", checkoutSession("order_demo_4", "paid", "complete"), now),
	"checkout.session.async_payment_failed": (now) =>
		event("checkout.session.async_payment_failed", checkoutSession("order_demo_4", "unpaid", "complete"), now),
	"checkout.session.expired": (now) =>
		event("checkout.session.expired", checkoutSession("order_demo_4", "unpaid", "expired"), now),
	"charge.refunded": (now) =>
		event(
			"charge.refunded",
			{
				id: id("ch"),
				object: "charge",
				amount: 4999,
				amount_refunded: 4999,
				refunded: true,
				currency: "usd",
				payment_intent: "pi_demo_1",
				metadata: {},
			},
			now,
		),
	"invoice.paid": (now) => event("invoice.paid", invoice("paid", 2000), now),
	"invoice.payment_succeeded": (now) => event("invoice.payment_succeeded", invoice("paid", 2000), now),
	"invoice.payment_failed": (now) => event("invoice.payment_failed", invoice("open", 0), now),
	"customer.subscription.created": (now) => event("customer.subscription.created", subscription("active", now), now),
	"customer.subscription.updated": (now) =>
		event("customer.subscription.updated", subscription("active", now, { cancel_at_period_end: true }), now),
	"customer.subscription.deleted": (now) =>
		event("customer.subscription.deleted", subscription("canceled", now, { canceled_at: Math.floor(now / 1000) }), now),
};
