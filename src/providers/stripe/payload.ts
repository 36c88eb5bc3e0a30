/**
 * @module providers/stripe/payload
 * zod schemas for the parts of Stripe events we read. Both API shapes are accepted: before
 * 2025-03-31.basil (`invoice.subscription`, `subscription.current_period_end`) and after
 * (`invoice.parent.subscription_details.subscription`, `items.data[].current_period_end`).
 * Expandable references arrive as an id or as the expanded object; both are read as the id.
 */
import * as z from "zod/mini";
import { storableId, storableText, storableValue, unixSeconds } from "../../validation";

/** An expandable reference: `"cus_123"` or `{ id: "cus_123", … }`. */
const reference = z.nullish(
	z.pipe(
		z.union([storableId, z.looseObject({ id: storableId })]),
		z.transform((value) => (typeof value === "string" ? value : value.id)),
	),
);
/** A metadata value, used to find a row. */
const metadataValue = z.optional(storableValue);
/** Only the keys we read: the shop's own keys are the shop's business (and never echoed in a reason). */
const metadata = z.nullish(
	z.looseObject({ order_id: metadataValue, user_id: metadataValue, clerk_user_id: metadataValue }),
);

/** The first thing read: the event's type (and its id, when readable). Only a type we handle has its shape checked. */
export const stripeType = z.object({ type: z.string().check(z.minLength(1)) });

/** Every Stripe (v1 snapshot) event: `created` is in unix seconds. */
export const stripeEnvelope = z.object({
	id: storableId,
	type: z.string(),
	created: unixSeconds,
	data: z.object({ object: z.record(z.string(), z.unknown()) }),
});

/** An amount in minor units (cents), as Stripe sends it: a non-negative safe integer. */
const amount = z.int().check(z.nonnegative());
/** An ISO currency code, lower case from Stripe (compared case-insensitively). */
const currency = storableId;

export const paymentIntent = z.object({
	id: storableId,
	metadata,
	latest_charge: reference,
	last_payment_error: z.nullish(
		z.object({
			code: z.nullish(storableText),
			decline_code: z.nullish(storableText),
			message: z.nullish(storableText),
		}),
	),
	cancellation_reason: z.nullish(storableText),
});

/** A succeeded payment intent: what it received decides whether the order is paid. */
export const succeededPaymentIntent = z.extend(paymentIntent, { amount_received: amount, currency });

export const checkoutSession = z.object({
	id: storableId,
	client_reference_id: z.nullish(storableId),
	metadata,
	payment_intent: reference,
	payment_status: z.string(),
	customer: reference,
});

/**
 * A paid checkout session: what it collected decides whether the order is paid. A session that needed
 * no payment (`no_payment_required`: setup mode, a free order) may state neither.
 */
export const paidCheckoutSession = z.extend(checkoutSession, {
	amount_total: z.nullish(amount),
	currency: z.nullish(currency),
});

export const charge = z.object({
	id: storableId,
	amount: z.int(),
	currency: z.nullish(currency),
	amount_refunded: z.int(),
	payment_intent: reference,
	metadata,
});

/** Stripe's dispute statuses (https://docs.stripe.com/api/disputes/object#dispute_object-status; `appeal_*` since stripe-node 23). */
export const stripeDisputeStatuses = [
	"warning_needs_response",
	"warning_under_review",
	"warning_closed",
	"needs_response",
	"under_review",
	"appeal_needs_response",
	"appeal_under_review",
	"won",
	"lost",
	"prevented",
] as const;

export const dispute = z.object({
	id: storableId,
	amount,
	currency: z.optional(currency),
	/** Stripe's reason code (`fraudulent`, `product_not_received`…): free text to us, kept cleaned. */
	reason: z.nullish(storableText),
	status: z.enum(stripeDisputeStatuses),
	charge: reference,
	payment_intent: reference,
	evidence_details: z.nullish(z.object({ due_by: z.nullish(unixSeconds) })),
});

export const invoice = z.object({
	id: storableId,
	customer: reference,
	subscription: reference,
	parent: z.nullish(z.object({ subscription_details: z.nullish(z.object({ subscription: reference })) })),
	lines: z.optional(
		z.object({
			data: z.array(
				z.object({
					subscription: reference,
					parent: z.nullish(z.object({ subscription_item_details: z.nullish(z.object({ subscription: reference })) })),
				}),
			),
		}),
	),
});

const subscriptionItem = z.object({
	current_period_end: z.nullish(unixSeconds),
	price: z.nullish(z.object({ id: storableId })),
	plan: z.nullish(z.object({ id: storableId })),
});

export const subscription = z.object({
	id: storableId,
	customer: reference,
	status: storableId,
	items: z.optional(z.object({ data: z.array(subscriptionItem) })),
	current_period_end: z.nullish(unixSeconds),
	cancel_at_period_end: z.nullish(z.boolean()),
	canceled_at: z.nullish(unixSeconds),
	metadata,
});

/** The subscription an invoice belongs to, in either API shape; undefined for a one-off invoice. */
export function invoiceSubscriptionId(value: z.infer<typeof invoice>): string | undefined {
	return (
		value.parent?.subscription_details?.subscription ??
		value.subscription ??
		value.lines?.data
			.map((line) => line.parent?.subscription_item_details?.subscription ?? line.subscription)
			.find((id) => !!id) ??
		undefined
	);
}

export const seconds = (value: number | null | undefined): Date | null =>
	value === null || value === undefined ? null : new Date(value * 1000);
