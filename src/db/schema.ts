/**
 * @module db/schema
 * The Postgres tables this service owns: the webhook ledger and the rows that providers keep in
 * sync. drizzle-kit generates the migrations in `drizzle/` from this file.
 */
import { sql } from "drizzle-orm";
import {
	bigint,
	boolean,
	check,
	index,
	integer,
	jsonb,
	pgTable,
	primaryKey,
	smallint,
	text,
	timestamp,
	uniqueIndex,
} from "drizzle-orm/pg-core";

/** Where an event stands in the ledger. */
export const webhookEventStatuses = ["received", "processed", "ignored", "unmatched", "failed", "dead"] as const;
export type WebhookEventStatus = (typeof webhookEventStatuses)[number];

const instant = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

/** Every verified webhook, once per (provider, event_id): the source of idempotency and replay. */
export const webhookEvents = pgTable(
	"webhook_events",
	{
		id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
		provider: text("provider").notNull(),
		eventId: text("event_id").notNull(),
		eventType: text("event_type").notNull(),
		status: text("status").$type<WebhookEventStatus>().notNull(),
		attempts: integer("attempts").notNull().default(1),
		receivedAt: instant("received_at").notNull().defaultNow(),
		processedAt: instant("processed_at"),
		lastError: text("last_error"),
		/** The verified event as JSON; see `rawBody` for what jsonb cannot hold. */
		payload: jsonb("payload").notNull(),
		/**
		 * The verified body verbatim, kept only when `payload` could not hold it exactly (a `\u0000`
		 * escape, an unpaired surrogate, a number or a nesting depth beyond Postgres' limits).
		 */
		rawBody: text("raw_body"),
		/** The shop user the event is about, when known: their personal data leaves with them. */
		subjectUserId: text("subject_user_id"),
		/** When personal data was erased from `payload` (the user was deleted). */
		erasedAt: instant("erased_at"),
	},
	(table) => [
		uniqueIndex("webhook_events_provider_event_id_key").on(table.provider, table.eventId),
		index("webhook_events_received_at_idx").on(table.receivedAt),
		index("webhook_events_subject_user_id_idx").on(table.subjectUserId),
		check(
			"webhook_events_status_check",
			sql.raw(`status in (${webhookEventStatuses.map((s) => `'${s}'`).join(", ")})`),
		),
	],
);

/**
 * Values a signature covers that are accepted once only (Mailgun's token: src/webhooks/nonces.ts),
 * kept for a quarter of an hour.
 */
export const webhookNonces = pgTable(
	"webhook_nonces",
	{
		provider: text("provider").notNull(),
		nonce: text("nonce").notNull(),
		seenAt: instant("seen_at").notNull().defaultNow(),
	},
	(table) => [
		primaryKey({ name: "webhook_nonces_pkey", columns: [table.provider, table.nonce] }),
		index("webhook_nonces_seen_at_idx").on(table.seenAt),
	],
);

/**
 * Shop users mirrored from Clerk. A deleted user stays as a tombstone (no snapshot column, times
 * included) so late events cannot revive it. `last_event_at` / `last_event_id`: the event whose
 * snapshot the row holds (for a tombstone, the earliest deletion); see src/domain/users.ts.
 */
export const users = pgTable(
	"users",
	{
		id: text("id").primaryKey(),
		email: text("email"),
		emailVerified: boolean("email_verified"),
		firstName: text("first_name"),
		lastName: text("last_name"),
		username: text("username"),
		imageUrl: text("image_url"),
		createdAt: instant("created_at"),
		updatedAt: instant("updated_at"),
		deletedAt: instant("deleted_at"),
		lastEventAt: instant("last_event_at"),
		lastEventId: text("last_event_id"),
		stripeCustomerId: text("stripe_customer_id"),
	},
	(table) => [
		index("users_email_idx").on(table.email),
		index("users_stripe_customer_id_idx").on(table.stripeCustomerId),
	],
);

/**
 * Where an order stands. Payment states come from Stripe (src/domain/orders.ts ranks them); shipping
 * states from the shop and carriers.
 */
export const orderStatuses = [
	"pending",
	"processing",
	"paid",
	"payment_mismatch",
	"cancelled",
	"refunded",
	"partially_refunded",
	"charged_back",
	"shipped",
	"delivered",
	"delivery_exception",
] as const;
export type OrderStatus = (typeof orderStatuses)[number];

/** Where a Stripe dispute of the order stands (Stripe's statuses folded: src/providers/stripe/disputes.ts). */
export const disputeStatuses = ["needs_response", "under_review", "won", "lost"] as const;
export type DisputeStatus = (typeof disputeStatuses)[number];

/** Orders are created by the shop itself; webhooks only move them along. Amounts in minor units. */
export const orders = pgTable(
	"orders",
	{
		id: text("id").primaryKey(),
		userId: text("user_id"),
		status: text("status").$type<OrderStatus>().notNull().default("pending"),
		amountTotal: bigint("amount_total", { mode: "number" }).notNull(),
		amountRefunded: bigint("amount_refunded", { mode: "number" }).notNull().default(0),
		currency: text("currency").notNull(),
		/** The shop's own payment intent, when it created one for the order (no event changes it). */
		stripePaymentIntentId: text("stripe_payment_intent_id").unique(),
		stripeCheckoutSessionId: text("stripe_checkout_session_id"),
		createdAt: instant("created_at").notNull().defaultNow(),
		paidAt: instant("paid_at"),
		/** With `payment_error`: set only while the order is `cancelled`, from its latest failure. */
		cancelledAt: instant("cancelled_at"),
		refundedAt: instant("refunded_at"),
		paymentError: text("payment_error"),
		/**
		 * Whether the linked checkout session (`stripe_checkout_session_id`, chosen by the precedence in
		 * src/domain/orders.ts) paid, and its payment intent; payment intent events find the order through
		 * it as through `stripe_payment_intent_id`, the shop's own, which no event changes.
		 */
		stripeCheckoutPaid: boolean("stripe_checkout_paid").notNull().default(false),
		stripeCheckoutPaymentIntentId: text("stripe_checkout_payment_intent_id"),
		/**
		 * The payment received that best matches the order (one that covers it first; src/domain/orders.ts),
		 * in minor units of `currency_received`, and its charge (through which disputes find the order).
		 */
		amountReceived: bigint("amount_received", { mode: "number" }),
		currencyReceived: text("currency_received"),
		stripeChargeId: text("stripe_charge_id"),
		/** The order's dispute as its latest-ranked event left it; `disputed_amount` in minor units of the charge's currency. */
		stripeDisputeId: text("stripe_dispute_id"),
		disputeStatus: text("dispute_status").$type<DisputeStatus>(),
		disputedAmount: bigint("disputed_amount", { mode: "number" }),
		disputeReason: text("dispute_reason"),
		/** The key of the dispute event whose values are stored (src/domain/orders.ts). */
		disputeEventAt: instant("dispute_event_at"),
		disputeEventId: text("dispute_event_id"),
	},
	(table) => [
		index("orders_user_id_idx").on(table.userId),
		index("orders_stripe_checkout_session_id_idx").on(table.stripeCheckoutSessionId),
		index("orders_stripe_checkout_payment_intent_id_idx").on(table.stripeCheckoutPaymentIntentId),
		index("orders_stripe_charge_id_idx").on(table.stripeChargeId),
		check("orders_status_check", sql.raw(`status in (${orderStatuses.map((s) => `'${s}'`).join(", ")})`)),
		check(
			"orders_dispute_status_check",
			sql.raw(`dispute_status in (${disputeStatuses.map((s) => `'${s}'`).join(", ")})`),
		),
	],
);

/** Stripe subscriptions mirrored from their events; `status` uses Stripe's own values. */
export const subscriptions = pgTable(
	"subscriptions",
	{
		id: text("id").primaryKey(),
		userId: text("user_id"),
		stripeCustomerId: text("stripe_customer_id"),
		status: text("status").notNull(),
		priceId: text("price_id"),
		currentPeriodEnd: instant("current_period_end"),
		cancelAtPeriodEnd: boolean("cancel_at_period_end"),
		canceledAt: instant("canceled_at"),
		/**
		 * The key of the event whose `status` is stored, the greatest of all: its time (so also the
		 * newest event's time), its rank (src/domain/subscriptions.ts) and its id.
		 */
		lastStripeEventAt: instant("last_stripe_event_at"),
		statusEventRank: smallint("status_event_rank"),
		statusEventId: text("status_event_id"),
		/** The key of the `customer.subscription.*` snapshot whose fields (price, period, cancellation) are stored. */
		snapshotEventAt: instant("snapshot_event_at"),
		snapshotEventRank: smallint("snapshot_event_rank"),
		snapshotEventId: text("snapshot_event_id"),
	},
	(table) => [
		index("subscriptions_user_id_idx").on(table.userId),
		index("subscriptions_stripe_customer_id_idx").on(table.stripeCustomerId),
	],
);
