/**
 * @module providers/stripe/payload
 * zod schemas for the parts of Stripe events we read. Both API shapes are accepted: before
 * 2025-03-31.basil (`invoice.subscription`, `subscription.current_period_end`) and after
 * (`invoice.parent.subscription_details.subscription`, `items.data[].current_period_end`).
 * Expandable references arrive as an id or as the expanded object; both are read as the id.
 */
import * as z from "zod/mini";

/** An expandable reference: `"cus_123"` or `{ id: "cus_123", … }`. */
const reference = z.nullish(
	z.pipe(
		z.union([z.string(), z.looseObject({ id: z.string() })]),
		z.transform((value) => (typeof value === "string" ? value : value.id)),
	),
);
const metadata = z.nullish(z.record(z.string(), z.string()));

/** Every Stripe event: `created` is in unix seconds. */
export const stripeEnvelope = z.object({
	id: z.string().check(z.minLength(1)),
	type: z.string().check(z.minLength(1)),
	created: z.int().check(z.nonnegative()),
	data: z.object({ object: z.record(z.string(), z.unknown()) }),
});

export const paymentIntent = z.object({
	id: z.string(),
	metadata,
	last_payment_error: z.nullish(
		z.object({ code: z.nullish(z.string()), decline_code: z.nullish(z.string()), message: z.nullish(z.string()) }),
	),
	cancellation_reason: z.nullish(z.string()),
});

export const checkoutSession = z.object({
	id: z.string(),
	client_reference_id: z.nullish(z.string()),
	metadata,
	payment_intent: reference,
	payment_status: z.string(),
	customer: reference,
});

export const charge = z.object({
	id: z.string(),
	amount: z.int(),
	amount_refunded: z.int(),
	payment_intent: reference,
	metadata,
});

export const invoice = z.object({
	id: z.string(),
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
	current_period_end: z.nullish(z.int()),
	price: z.nullish(z.object({ id: z.string() })),
	plan: z.nullish(z.object({ id: z.string() })),
});

export const subscription = z.object({
	id: z.string(),
	customer: reference,
	status: z.string(),
	items: z.optional(z.object({ data: z.array(subscriptionItem) })),
	current_period_end: z.nullish(z.int()),
	cancel_at_period_end: z.nullish(z.boolean()),
	canceled_at: z.nullish(z.int()),
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
