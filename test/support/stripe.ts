/**
 * Test helper: Stripe events built from the example payloads (test/fixtures/payloads), signed with stripe-node's
 * generateTestHeaderStringAsync (the reference implementation), and demo orders to apply them to.
 */
import checkoutCompleted from "@fixtures/payloads/stripe/checkout.session.completed.json";
import subscriptionCreated from "@fixtures/payloads/stripe/customer.subscription.created.json";
import subscriptionDeleted from "@fixtures/payloads/stripe/customer.subscription.deleted.json";
import subscriptionUpdated from "@fixtures/payloads/stripe/customer.subscription.updated.json";
import invoicePaid from "@fixtures/payloads/stripe/invoice.paid.json";
import invoicePaymentFailed from "@fixtures/payloads/stripe/invoice.payment_failed.json";
import invoicePaymentSucceeded from "@fixtures/payloads/stripe/invoice.payment_succeeded.json";
import invoiceLegacy from "@fixtures/payloads/stripe/invoice.payment_succeeded.legacy-2024-06-20.json";
import paymentFailed from "@fixtures/payloads/stripe/payment_intent.payment_failed.json";
import paymentSucceeded from "@fixtures/payloads/stripe/payment_intent.succeeded.json";
import Stripe from "stripe";
import { orders } from "../../src/db/schema";
import { uniqueId } from "./clerk";
import { testDb } from "./rows";
import { stripeSecret } from "./secrets";

export const stripeFixtures = {
	"payment_intent.succeeded": paymentSucceeded,
	"payment_intent.payment_failed": paymentFailed,
	"checkout.session.completed": checkoutCompleted,
	"invoice.paid": invoicePaid,
	"invoice.payment_succeeded": invoicePaymentSucceeded,
	"invoice.payment_succeeded.legacy": invoiceLegacy,
	"invoice.payment_failed": invoicePaymentFailed,
	"customer.subscription.created": subscriptionCreated,
	"customer.subscription.updated": subscriptionUpdated,
	"customer.subscription.deleted": subscriptionDeleted,
};

// biome-ignore lint/suspicious/noExplicitAny: events are edited freely in tests, as JSON
export type StripeTestEvent = { id: string; type: string; created: number; data: { object: any } };

/** A copy of a fixture with a fresh event id, the given type and `created` (unix seconds). */
export function stripeEvent(fixture: keyof typeof stripeFixtures, type?: string, created?: number): StripeTestEvent {
	const event = structuredClone(stripeFixtures[fixture]) as unknown as StripeTestEvent;
	event.id = uniqueId("evt");
	if (type) event.type = type;
	if (created !== undefined) event.created = created;
	return event;
}

/** A charge.refunded event (not among the fixtures): a charge of `amount` with `refunded` returned. */
export function chargeRefunded(
	paymentIntentId: string,
	amount: number,
	refunded: number,
	created: number,
): StripeTestEvent {
	return {
		id: uniqueId("evt"),
		type: "charge.refunded",
		created,
		data: {
			object: {
				id: uniqueId("ch"),
				object: "charge",
				amount,
				amount_captured: amount,
				amount_refunded: refunded,
				refunded: refunded >= amount,
				currency: "usd",
				payment_intent: paymentIntentId,
				metadata: {},
				status: "succeeded",
			},
		},
	};
}

/** The `charge.dispute.*` types (no fixture exists for them: `disputeEvent` builds them). */
export type DisputeEventType =
	| "charge.dispute.created"
	| "charge.dispute.updated"
	| "charge.dispute.closed"
	| "charge.dispute.funds_withdrawn"
	| "charge.dispute.funds_reinstated";

export interface DisputeOptions {
	/** The dispute's id (`du_…`); a fresh one by default. */
	disputeId?: string;
	/** Stripe's own status (`warning_needs_response`, `needs_response`, `lost`, `prevented`…). */
	status: string;
	/** `charge`: the disputed charge; `paymentIntent`: its payment intent (null for a charge without one). */
	charge: string | null;
	paymentIntent: string | null;
	amount?: number;
	currency?: string;
	reason?: string | null;
	/** `evidence_details.due_by`, unix seconds (null: none). */
	dueBy?: number | null;
	/** The event's `created`, unix seconds. */
	created?: number;
	/** The event id; a fresh one by default. */
	eventId?: string;
}

/**
 * A `charge.dispute.*` event shaped like Stripe's (API 2025-03-31.basil): the Dispute object with its
 * evidence, which holds the buyer's name and email (no log line may show them).
 */
export function disputeEvent(type: DisputeEventType, options: DisputeOptions): StripeTestEvent {
	const created = options.created ?? 1_790_000_000;
	return {
		id: options.eventId ?? uniqueId("evt"),
		type,
		created,
		data: {
			object: {
				id: options.disputeId ?? uniqueId("du"),
				object: "dispute",
				amount: options.amount ?? 4999,
				balance_transactions: [],
				charge: options.charge,
				created: created - 60,
				currency: options.currency ?? "usd",
				evidence: {
					customer_email_address: "jane.doe@example.com",
					customer_name: "Jane Doe",
					billing_address: "123 Example St, Brooklyn",
					product_description: null,
				},
				evidence_details: {
					due_by: options.dueBy === undefined ? created + 7 * 86_400 : options.dueBy,
					has_evidence: false,
					past_due: false,
					submission_count: 0,
				},
				is_charge_refundable: false,
				livemode: false,
				metadata: {},
				payment_intent: options.paymentIntent,
				reason: options.reason === undefined ? "fraudulent" : options.reason,
				status: options.status,
			},
		},
	};
}

const stripe = new Stripe("sk_test_unused");

/** A POST to /api/webhooks/stripe, signed like Stripe signs it. */
export async function stripeRequest(body: unknown, options: { secret?: string; at?: Date } = {}): Promise<Request> {
	const payload = typeof body === "string" ? body : JSON.stringify(body);
	const header = await stripe.webhooks.generateTestHeaderStringAsync({
		payload,
		secret: options.secret ?? stripeSecret,
		timestamp: Math.floor((options.at ?? new Date()).getTime() / 1000),
	});
	return new Request("http://shop.test/api/webhooks/stripe", {
		method: "POST",
		headers: { "content-type": "application/json", "stripe-signature": header },
		body: payload,
	});
}

/** Creates a pending order as the shop would, with its own payment intent id. */
export async function pendingOrder(amountTotal = 4999, extra: Partial<typeof orders.$inferInsert> = {}) {
	const order = {
		id: uniqueId("order"),
		amountTotal,
		currency: "usd",
		stripePaymentIntentId: uniqueId("pi"),
		...extra,
	};
	await testDb().insert(orders).values(order);
	return order as typeof order & { stripePaymentIntentId: string };
}
