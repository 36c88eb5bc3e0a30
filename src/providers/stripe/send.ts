/**
 * @module providers/stripe/send
 * Stripe's side, for `npm run send -- stripe <type>` (src/providers/sending.ts; never imported by the
 * Worker): event templates (API version 2025-03-31.basil, shaped like test/fixtures/payloads/stripe/),
 * signed with STRIPE_WEBHOOK_SECRET by stripe-node's own `generateTestHeaderString`. Their defaults
 * point at the demo rows of `npm run db:seed`, so every example in the README works against
 * `npm run dev` without --set (which edits amounts, currencies and ids:
 * `--set data.object.amount_received=1000 --set data.object.currency=eur`).
 */
import { randomBytes } from "node:crypto";
import Stripe from "stripe";
import { asText, onlyEvent, type ProviderSender } from "../sending";

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

/** The demo payment intent of order `order_demo_N` is `pi_demo_N`, and its charge `ch_demo_N` (`npm run db:seed`). */
const intentOf = (orderId: string) => `pi_${orderId.replace("order_", "")}`;
const chargeOf = (orderId: string) => `ch_${orderId.replace("order_", "")}`;

function paymentIntent(orderId: string, status: string, extra: Record<string, unknown> = {}) {
	return {
		id: intentOf(orderId),
		object: "payment_intent",
		amount: 4999,
		amount_received: status === "succeeded" ? 4999 : 0,
		currency: "usd",
		customer: "cus_demo_ada",
		latest_charge: status === "canceled" ? null : chargeOf(orderId),
		metadata: { order_id: orderId },
		payment_method_types: ["card"],
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
		payment_intent: intentOf(orderId),
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

const evidenceFields = [
	"access_activity_log",
	"billing_address",
	"cancellation_policy",
	"cancellation_policy_disclosure",
	"cancellation_rebuttal",
	"customer_communication",
	"customer_email_address",
	"customer_name",
	"customer_purchase_ip",
	"customer_signature",
	"duplicate_charge_documentation",
	"duplicate_charge_explanation",
	"duplicate_charge_id",
	"product_description",
	"receipt",
	"refund_policy",
	"refund_policy_disclosure",
	"refund_refusal_explanation",
	"service_date",
	"service_documentation",
	"shipping_address",
	"shipping_carrier",
	"shipping_date",
	"shipping_documentation",
	"shipping_tracking_number",
	"uncategorized_file",
	"uncategorized_text",
];

/** A balance transaction a dispute moved: the chargeback withdrawal (with its fee) or the reinstatement. */
function disputeFunds(disputeId: string, chargeId: string, amount: number, seconds: number) {
	const fee = amount < 0 ? 1500 : 0;
	return {
		id: id("txn"),
		object: "balance_transaction",
		amount,
		available_on: seconds,
		created: seconds,
		currency: "usd",
		description: `${amount < 0 ? "Chargeback withdrawal" : "Chargeback reversal"} for ${chargeId}`,
		exchange_rate: null,
		fee,
		fee_details: fee
			? [{ amount: fee, application: null, currency: "usd", description: "Dispute fee", type: "stripe_fee" }]
			: [],
		net: amount - fee,
		reporting_category: amount < 0 ? "dispute" : "dispute_reversal",
		source: disputeId,
		status: "available",
		type: "adjustment",
	};
}

/**
 * A card chargeback on the paid demo order `order_demo_7` (payment intent pi_demo_7, charge ch_demo_7),
 * as Stripe's dispute object at each stage: `submitted` once the shop sent evidence, `funds` the
 * balance transactions so far (withdrawn, then reinstated).
 */
function dispute(
	status: string,
	now: number,
	stage: { submitted?: boolean; funds?: ("withdrawn" | "reinstated")[] } = {},
) {
	const orderId = "order_demo_7";
	const seconds = Math.floor(now / 1000);
	const disputeId = `du_${orderId.replace("order_", "")}`;
	const amount = 4999;
	return {
		id: disputeId,
		object: "dispute",
		amount,
		balance_transactions: (stage.funds ?? []).map((kind) =>
			disputeFunds(disputeId, chargeOf(orderId), kind === "withdrawn" ? -amount : amount, seconds),
		),
		charge: chargeOf(orderId),
		created: seconds,
		currency: "usd",
		enhanced_eligibility_types: [],
		evidence: {
			...Object.fromEntries(evidenceFields.map((field) => [field, null])),
			enhanced_evidence: {},
			...(stage.submitted ? { product_description: "Order order_demo_7: 1 item", shipping_carrier: "UPS" } : {}),
		},
		evidence_details: {
			// Stripe gives the shop a deadline, here a week; past it the dispute is lost by default.
			due_by: seconds + 7 * 86400,
			enhanced_eligibility: {},
			has_evidence: stage.submitted === true,
			past_due: false,
			submission_count: stage.submitted ? 1 : 0,
		},
		is_charge_refundable: false,
		livemode: false,
		metadata: {},
		payment_intent: intentOf(orderId),
		payment_method_details: {
			card: { brand: "visa", case_type: "chargeback", network_reason_code: "10.4" },
			type: "card",
		},
		reason: "fraudulent",
		status,
	};
}

const declined = {
	last_payment_error: {
		code: "card_declined",
		decline_code: "insufficient_funds",
		message: "Your card has insufficient funds.",
	},
};

/**
 * The event types the CLI can build, each aimed at a demo order of `npm run db:seed` (order N is
 * `order_demo_N`, its payment intent `pi_demo_N`, its charge `ch_demo_N`): payment intents at 1
 * (succeeded; also refunded), 2 (failed), 3 (canceled) and 5 (processing), checkout sessions at 4,
 * disputes at 7 (paid). Amounts are 4999 usd, as the orders'; `--set` changes any of it.
 */
export const stripeTemplates: Record<string, (now: number) => Record<string, unknown>> = {
	"payment_intent.succeeded": (now) =>
		event("payment_intent.succeeded", paymentIntent("order_demo_1", "succeeded"), now),
	"payment_intent.processing": (now) =>
		event(
			"payment_intent.processing",
			// a US bank account (ACH) debit: its charge, `py_…`, settles days later
			paymentIntent("order_demo_5", "processing", {
				latest_charge: "py_demo_5",
				payment_method_types: ["us_bank_account"],
			}),
			now,
		),
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
				id: chargeOf("order_demo_1"),
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
	"charge.dispute.created": (now) => event("charge.dispute.created", dispute("needs_response", now), now),
	"charge.dispute.funds_withdrawn": (now) =>
		event("charge.dispute.funds_withdrawn", dispute("needs_response", now, { funds: ["withdrawn"] }), now),
	"charge.dispute.updated": (now) =>
		event("charge.dispute.updated", dispute("under_review", now, { submitted: true, funds: ["withdrawn"] }), now),
	"charge.dispute.closed": (now) =>
		event("charge.dispute.closed", dispute("lost", now, { submitted: true, funds: ["withdrawn"] }), now),
	"charge.dispute.funds_reinstated": (now) =>
		event(
			"charge.dispute.funds_reinstated",
			dispute("won", now, { submitted: true, funds: ["withdrawn", "reinstated"] }),
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

const stripe = new Stripe("sk_test_unused");

export const sender: ProviderSender = {
	templates: stripeTemplates,
	signingSecret: { variable: "STRIPE_WEBHOOK_SECRET" },
	async sign(events, secret, now) {
		const body = JSON.stringify(onlyEvent(events));
		const timestamp = Math.floor(now.getTime() / 1000);
		return {
			headers: {
				"stripe-signature": await stripe.webhooks.generateTestHeaderStringAsync({ payload: body, secret, timestamp }),
			},
			body,
		};
	},
	describe: (event) => asText((event.data as { object?: { id?: unknown } } | undefined)?.object?.id),
};
