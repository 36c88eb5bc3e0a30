/**
 * @module db/schema
 * The Postgres tables this service owns: the webhook ledger and the rows that providers keep in
 * sync. drizzle-kit generates the migrations in `drizzle/` from this file.
 */
import { type AnyColumn, type SQL, sql } from "drizzle-orm";
import {
	bigint,
	boolean,
	check,
	date,
	index,
	integer,
	jsonb,
	pgTable,
	pgView,
	primaryKey,
	smallint,
	text,
	timestamp,
	uniqueIndex,
} from "drizzle-orm/pg-core";

/**
 * Where an event stands in the ledger. `deferred`: about a row that does not exist yet (a parcel the
 * shop has not recorded), run again at `next_attempt_at` (src/ledger.ts).
 */
export const webhookEventStatuses = [
	"received",
	"processed",
	"ignored",
	"unmatched",
	"failed",
	"dead",
	"deferred",
] as const;
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
		/** When a `deferred` event is due to run again; NULL in every other status (src/ledger.ts). */
		nextAttemptAt: instant("next_attempt_at"),
	},
	(table) => [
		uniqueIndex("webhook_events_provider_event_id_key").on(table.provider, table.eventId),
		index("webhook_events_received_at_idx").on(table.receivedAt),
		index("webhook_events_subject_user_id_idx").on(table.subjectUserId),
		// the cron sweep's question: which deferred events are overdue
		index("webhook_events_deferred_idx").on(table.nextAttemptAt).where(sql`${table.status} = 'deferred'`),
		// the retention sweep's question (src/queue/retention.ts): the oldest finished payloads not erased yet
		index("webhook_events_retention_idx")
			.on(table.receivedAt)
			.where(sql`${table.erasedAt} is null and ${table.status} in ('processed', 'ignored')`),
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
 * What the email events say about a user's primary email (src/domain/email-suppressions.ts):
 * `invalid` after a hard bounce, `complained` after a spam complaint (a hard bounce wins when both);
 * NULL when nothing.
 */
export const userEmailStatuses = ["invalid", "complained"] as const;
export type UserEmailStatus = (typeof userEmailStatuses)[number];

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
		/**
		 * The suppression of the lower-cased `email`, if any (`email_suppressions`): always derived,
		 * never set by hand. Written by the email event that suppresses the address and, whenever `email` is written,
		 * by the trigger `users_email_status` (migration 0007), so a user whose address changes, or who
		 * arrives after the bounce, gets the status of the address they have.
		 */
		emailStatus: text("email_status").$type<UserEmailStatus>(),
	},
	(table) => [
		index("users_email_idx").on(table.email),
		index("users_stripe_customer_id_idx").on(table.stripeCustomerId),
		// the email events find a user by their address in any case: src/domain/email-suppressions.ts lowerAddress
		index("users_email_lower_idx").on(sql`(lower(${table.email} collate "C") collate "default")`),
		check(
			"users_email_status_check",
			sql.raw(`email_status in (${userEmailStatuses.map((s) => `'${s}'`).join(", ")})`),
		),
	],
);

/**
 * Where an order's payment stands, lowest rank first: an event proposes one and the higher of it and
 * the current one stays (src/domain/order-update.ts `climb`).
 */
export const orderPaymentStatuses = [
	"pending",
	"processing",
	"cancelled",
	"payment_mismatch",
	"paid",
	"partially_refunded",
	"refunded",
	"charged_back",
] as const;
export type OrderPaymentStatus = (typeof orderPaymentStatuses)[number];

/** Where an order's parcels stand, derived from its shipments (src/domain/shipments.ts); NULL: none moving. */
export const orderShippingStatuses = ["shipped", "delivered", "delivery_exception"] as const;
export type OrderShippingStatus = (typeof orderShippingStatuses)[number];

/** Where an order stands, as `orders.status` shows it: its payment or its shipping status. */
export const orderStatuses = [...orderPaymentStatuses, ...orderShippingStatuses] as const;
export type OrderStatus = (typeof orderStatuses)[number];

/**
 * `orders.status`, from its two dimensions: the shipping status when there is one and the money did
 * not go back (`cancelled`, `refunded` and `charged_back` are never hidden by a parcel), else the
 * payment status. A partial refund or a payment mismatch of a shipped order shows the parcel.
 */
const orderStatus = sql.raw(`case
	when "shipping_status" is not null and "payment_status" not in ('cancelled', 'refunded', 'charged_back') then "shipping_status"
	else "payment_status" end`);

/** Where a Stripe dispute of the order stands (Stripe's statuses folded: src/providers/stripe/disputes.ts). */
export const disputeStatuses = ["needs_response", "under_review", "won", "lost"] as const;
export type DisputeStatus = (typeof disputeStatuses)[number];

/** Orders are created by the shop itself; webhooks only move them along. Amounts in minor units. */
export const orders = pgTable(
	"orders",
	{
		id: text("id").primaryKey(),
		userId: text("user_id"),
		/** Generated from `payment_status` and `shipping_status` (see `orderStatus` above): never written. */
		status: text("status").$type<OrderStatus>().notNull().generatedAlwaysAs(orderStatus),
		/** What the payment events say (Stripe: src/domain/orders.ts). */
		paymentStatus: text("payment_status").$type<OrderPaymentStatus>().notNull().default("pending"),
		/** What the order's shipments say (src/domain/shipments.ts): NULL until one of them moves. */
		shippingStatus: text("shipping_status").$type<OrderShippingStatus>(),
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
		/**
		 * The order's dispute as its latest-ranked event left it: Stripe's status and ours (folded),
		 * `disputed_amount` in minor units of the charge's currency.
		 */
		stripeDisputeId: text("stripe_dispute_id"),
		stripeDisputeStatus: text("stripe_dispute_status"),
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
		check(
			"orders_payment_status_check",
			sql.raw(`payment_status in (${orderPaymentStatuses.map((s) => `'${s}'`).join(", ")})`),
		),
		check(
			"orders_shipping_status_check",
			sql.raw(`shipping_status in (${orderShippingStatuses.map((s) => `'${s}'`).join(", ")})`),
		),
		check(
			"orders_dispute_status_check",
			sql.raw(`dispute_status in (${disputeStatuses.map((s) => `'${s}'`).join(", ")})`),
		),
	],
);

/**
 * Every payment intent (and its charge, once it succeeded) that an event tied to an order: later
 * events (a refund, a dispute) find the order through any of them, whichever payment the order's own
 * columns show. Rows are only ever added, so what they find is a function of the events received.
 */
export const orderPayments = pgTable(
	"order_payments",
	{
		orderId: text("order_id").notNull(),
		paymentIntentId: text("payment_intent_id").notNull(),
		chargeId: text("charge_id"),
	},
	(table) => [
		primaryKey({ name: "order_payments_pkey", columns: [table.paymentIntentId, table.orderId] }),
		index("order_payments_charge_id_idx").on(table.chargeId),
	],
);

/** Where a parcel stands (src/domain/tracking-event.ts normalises the carriers' statuses). */
export const shipmentStatuses = ["pending", "in_transit", "delivered", "exception"] as const;
export type ShipmentStatus = (typeof shipmentStatuses)[number];

/**
 * A tracking number as shipments are matched by it, in SQL: ASCII upper case, letters and digits only
 * (`1z 999-aa1` = `1Z999AA1`), whatever the server's locale. The expression of the index
 * `shipments_tracking_key_idx`: a query must use it as written here for the index to serve it.
 * src/domain/shipments.ts `trackingKey` is the same in TypeScript.
 */
export const trackingKeyOf = (trackingNumber: SQL | AnyColumn) =>
	sql`regexp_replace(upper(${trackingNumber} collate "C"), '[^A-Z0-9]', '', 'g')`;

/**
 * The parcels of an order, created by the shop when it ships (`id` is the shop's, `ship_…`); carrier
 * tracking events move them along (src/domain/shipments.ts). The columns an event sets come from the
 * event with the greatest key (`status_event_at`, `status_event_id` and the status: a delivery first),
 * `last_event_at` is the latest event's time and `delivered_at` the earliest delivery's: each a
 * function of the set of events. A shipment is known to events from `created_at` on.
 */
export const shipments = pgTable(
	"shipments",
	{
		id: text("id").primaryKey(),
		orderId: text("order_id")
			.notNull()
			.references(() => orders.id),
		/** As the shop names it (`usps`, `FedEx`): events find the shipment by tracking number and carrier. */
		carrier: text("carrier").notNull(),
		trackingNumber: text("tracking_number").notNull(),
		/** The tracking provider (`easypost`, `aftership`, `shippo`) whose events apply; NULL: any. */
		provider: text("provider"),
		status: text("status").$type<ShipmentStatus>().notNull().default("pending"),
		/** The provider's finer status (`out_for_delivery`, …). */
		statusDetail: text("status_detail"),
		/** The latest scan: src/domain/tracking-event.ts `Checkpoint` (time ISO 8601 UTC, location, message). */
		lastCheckpoint: jsonb("last_checkpoint").$type<{ time: string; location: string | null; message: string | null }>(),
		estimatedDeliveryAt: instant("estimated_delivery_at"),
		deliveredAt: instant("delivered_at"),
		exceptionReason: text("exception_reason"),
		trackingUrl: text("tracking_url"),
		lastEventAt: instant("last_event_at"),
		/** The key of the event whose values are stored: its carrier time and ledger event id. */
		statusEventAt: instant("status_event_at"),
		statusEventId: text("status_event_id"),
		createdAt: instant("created_at").notNull().defaultNow(),
	},
	(table) => [
		uniqueIndex("shipments_carrier_tracking_number_key").on(table.carrier, table.trackingNumber),
		// how an update finds its shipment (src/domain/shipments.ts matchedShipmentId): by this expression
		index("shipments_tracking_key_idx").on(trackingKeyOf(table.trackingNumber)),
		index("shipments_order_id_idx").on(table.orderId),
		check("shipments_status_check", sql.raw(`status in (${shipmentStatuses.map((s) => `'${s}'`).join(", ")})`)),
	],
);
export type Shipment = typeof shipments.$inferSelect;
export type NewShipment = typeof shipments.$inferInsert;

/** What a notification tells: the customer their order arrived, or the shop's operator of a delivery problem. */
export const notificationKinds = ["delivered", "delivery_exception"] as const;
export type NotificationKind = (typeof notificationKinds)[number];

/** `skipped`: not sent and never will be (no recipient, no API key, a suppressed address). */
export const notificationStatuses = ["pending", "sent", "skipped", "failed"] as const;
export type NotificationStatus = (typeof notificationStatuses)[number];

/**
 * The outbox of emails about orders: written in the transaction of the event that calls for one, at
 * most once per (order, kind), and sent by a `notify` job (src/queue). `recipient` is lower-cased;
 * `next_attempt_at` is when a pending one is due (the cron sweep re-enqueues it past that), and
 * `claimed_until` how long the job that took it holds it.
 */
export const notifications = pgTable(
	"notifications",
	{
		id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
		kind: text("kind").$type<NotificationKind>().notNull(),
		orderId: text("order_id").notNull(),
		recipient: text("recipient"),
		status: text("status").$type<NotificationStatus>().notNull().default("pending"),
		attempts: integer("attempts").notNull().default(0),
		providerMessageId: text("provider_message_id"),
		lastError: text("last_error"),
		nextAttemptAt: instant("next_attempt_at").defaultNow(),
		claimedUntil: instant("claimed_until"),
		createdAt: instant("created_at").notNull().defaultNow(),
		sentAt: instant("sent_at"),
		/**
		 * The message as its first attempt sent it (src/queue/notify.ts), resent exactly so: a retry uses
		 * the same idempotency key, and Resend refuses a key reused with another body. NULL until then.
		 */
		subject: text("subject"),
		text: text("text"),
		/** The `from` address of that first attempt (NOTIFY_FROM then). */
		sender: text("sender"),
	},
	(table) => [
		uniqueIndex("notifications_order_id_kind_key").on(table.orderId, table.kind),
		// the cron sweep's question: which pending notifications are due
		index("notifications_pending_idx").on(table.nextAttemptAt).where(sql`${table.status} = 'pending'`),
		check("notifications_kind_check", sql.raw(`kind in (${notificationKinds.map((s) => `'${s}'`).join(", ")})`)),
		check("notifications_status_check", sql.raw(`status in (${notificationStatuses.map((s) => `'${s}'`).join(", ")})`)),
	],
);
export type Notification = typeof notifications.$inferSelect;
export type NewNotification = typeof notifications.$inferInsert;

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

/** A message's status (ranked by `emailMessageStatus` below); `bounced` says which in `bounce_type`. */
export const emailMessageStatuses = [
	"sent",
	"delayed",
	"delivered",
	"opened",
	"clicked",
	"failed",
	"complained",
	"bounced",
] as const;
export type EmailMessageStatus = (typeof emailMessageStatuses)[number];
export const bounceTypes = ["hard", "soft"] as const;

/**
 * `status` as a function of the facts stored beside it (and so of the set of events received): the
 * highest of, from the lowest, sent < delayed < a soft bounce < delivered < opened < clicked <
 * failed < complained < a hard bounce. A row no event has reached yet (the shop recorded it) is `sent`.
 */
const emailMessageStatus = sql.raw(`case
	when "bounce_type" = 'hard' then 'bounced'
	when "complained_at" is not null then 'complained'
	when "failed_at" is not null then 'failed'
	when "click_count" > 0 then 'clicked'
	when "open_count" > 0 then 'opened'
	when "delivered_at" is not null then 'delivered'
	when "bounce_type" = 'soft' then 'bounced'
	when "delayed_at" is not null then 'delayed'
	else 'sent' end`);

/**
 * Every message an email provider reported on (or the shop recorded when sending it), once per
 * (provider, provider_message_id). Each column is a function of the set of events received
 * (src/domain/emails.ts): the times are the earliest (latest for `last_*`) of their events, the
 * counts count distinct events, the descriptive columns keep the least value any event gave.
 */
export const emailMessages = pgTable(
	"email_messages",
	{
		/**
		 * By default, not always: an `INSERT … SELECT` (db/insert-if.ts) must name a value for every
		 * column, and src/domain/emails.ts names the next of its sequence.
		 */
		id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
		provider: text("provider").notNull(),
		providerMessageId: text("provider_message_id").notNull(),
		/** Lower-cased; with `subject`, erased (NULL, `erased_at` set) when the user is deleted. */
		recipient: text("recipient"),
		subject: text("subject"),
		/** From the message's tags or metadata, when the shop set them. */
		orderId: text("order_id"),
		userId: text("user_id"),
		status: text("status").$type<EmailMessageStatus>().notNull().generatedAlwaysAs(emailMessageStatus),
		sentAt: instant("sent_at"),
		delayedAt: instant("delayed_at"),
		deliveredAt: instant("delivered_at"),
		/** `hard` when any bounce was; `bounced_at` the earliest bounce of that type. */
		bouncedAt: instant("bounced_at"),
		bounceType: text("bounce_type").$type<(typeof bounceTypes)[number]>(),
		/** Soft bounces are counted here, and do nothing else (no suppression). */
		softBounceCount: integer("soft_bounce_count").notNull().default(0),
		complainedAt: instant("complained_at"),
		failedAt: instant("failed_at"),
		firstOpenedAt: instant("first_opened_at"),
		lastOpenedAt: instant("last_opened_at"),
		openCount: integer("open_count").notNull().default(0),
		clickCount: integer("click_count").notNull().default(0),
		/** The earliest and latest event; `email_daily_stats` counts a message on its first event's day. */
		firstEventAt: instant("first_event_at"),
		lastEventAt: instant("last_event_at"),
		/** When `recipient` and `subject` were erased with the user (src/domain/email-privacy.ts). */
		erasedAt: instant("erased_at"),
	},
	(table) => [
		uniqueIndex("email_messages_provider_message_id_key").on(table.provider, table.providerMessageId),
		index("email_messages_recipient_idx").on(table.recipient),
		index("email_messages_user_id_idx").on(table.userId),
		index("email_messages_order_id_idx").on(table.orderId),
		// the day `email_daily_stats` counts a message on, so that a range of days reads only those
		index("email_messages_day_idx").on(sql`((${table.firstEventAt} at time zone 'UTC')::date)`),
		check(
			"email_messages_bounce_type_check",
			sql.raw(`bounce_type in (${bounceTypes.map((s) => `'${s}'`).join(", ")})`),
		),
	],
);

export const suppressionReasons = ["hard_bounce", "complaint"] as const;
export type SuppressionReason = (typeof suppressionReasons)[number];

/**
 * Addresses never to mail again: a hard bounce or a spam complaint, whichever provider reported it.
 * `reason` is `hard_bounce` when any hard bounce was reported, else `complaint`; `provider` is that of
 * the reason's earliest event (`reason_event_at`, ties: the least provider, then event id); `first_at`
 * and `last_at` the earliest and latest event of either reason. Kept when the user is deleted.
 */
export const emailSuppressions = pgTable(
	"email_suppressions",
	{
		/** Lower-cased. */
		address: text("address").primaryKey(),
		reason: text("reason").$type<SuppressionReason>().notNull(),
		provider: text("provider").notNull(),
		firstAt: instant("first_at").notNull(),
		lastAt: instant("last_at").notNull(),
		reasonEventAt: instant("reason_event_at").notNull(),
		reasonEventId: text("reason_event_id").notNull(),
	},
	() => [
		check(
			"email_suppressions_reason_check",
			sql.raw(`reason in (${suppressionReasons.map((s) => `'${s}'`).join(", ")})`),
		),
	],
);

/**
 * Per day (UTC) and provider, the messages whose first event was that day and what became of them
 * (every column counts messages but `opens` and `clicks`, which count events): created by hand in
 * migration 0007 (drizzle-kit leaves an `existing()` view alone); the SQL there is the definition.
 */
export const emailDailyStats = pgView("email_daily_stats", {
	day: date("day", { mode: "string" }).notNull(),
	provider: text("provider").notNull(),
	sent: bigint("sent", { mode: "number" }).notNull(),
	delivered: bigint("delivered", { mode: "number" }).notNull(),
	bounced: bigint("bounced", { mode: "number" }).notNull(),
	softBounced: bigint("soft_bounced", { mode: "number" }).notNull(),
	complained: bigint("complained", { mode: "number" }).notNull(),
	failed: bigint("failed", { mode: "number" }).notNull(),
	uniqueOpens: bigint("unique_opens", { mode: "number" }).notNull(),
	opens: bigint("opens", { mode: "number" }).notNull(),
	uniqueClicks: bigint("unique_clicks", { mode: "number" }).notNull(),
	clicks: bigint("clicks", { mode: "number" }).notNull(),
}).existing();

/** The recoveries an operator starts from the admin API (src/admin/recovery). */
export const adminRunKinds = ["stripe_backfill", "clerk_reconcile"] as const;
export type AdminRunKind = (typeof adminRunKinds)[number];

/** `running` until its last page is done; `failed` with `last_error` when it cannot go on. */
export const adminRunStatuses = ["running", "done", "failed"] as const;
export type AdminRunStatus = (typeof adminRunStatuses)[number];

/**
 * One recovery past the providers' retry windows and its progress, page by page (src/admin/recovery):
 * a Stripe backfill (its events fed through the webhook pipeline: `applied`, `duplicates` and `failed`
 * count ledger outcomes) or a Clerk reconcile (each user applied as a snapshot: `created`, `updated`,
 * `current`). `cursor` is where the next page starts (Stripe's last event id, Clerk's offset); `pages`
 * how many were done, which also tells a page's job from its duplicate. The queue jobs carry the work;
 * this row is what the operator reads.
 */
export const adminRuns = pgTable(
	"admin_runs",
	{
		id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
		kind: text("kind").$type<AdminRunKind>().notNull(),
		status: text("status").$type<AdminRunStatus>().notNull().default("running"),
		/** What the operator asked (Stripe: `since`, unix seconds, and the event types listed). */
		params: jsonb("params").$type<Record<string, unknown>>().notNull().default({}),
		cursor: text("cursor"),
		pages: integer("pages").notNull().default(0),
		/** Items the provider listed (events, users). */
		seen: integer("seen").notNull().default(0),
		applied: integer("applied").notNull().default(0),
		duplicates: integer("duplicates").notNull().default(0),
		failed: integer("failed").notNull().default(0),
		created: integer("created").notNull().default(0),
		updated: integer("updated").notNull().default(0),
		current: integer("current").notNull().default(0),
		/** Why it failed, or the last transient error it is retrying after (no secrets, no personal data). */
		lastError: text("last_error"),
		startedAt: instant("started_at").notNull().defaultNow(),
		finishedAt: instant("finished_at"),
	},
	(table) => [
		index("admin_runs_started_at_idx").on(table.startedAt),
		check("admin_runs_kind_check", sql.raw(`kind in (${adminRunKinds.map((s) => `'${s}'`).join(", ")})`)),
		check("admin_runs_status_check", sql.raw(`status in (${adminRunStatuses.map((s) => `'${s}'`).join(", ")})`)),
	],
);
export type AdminRun = typeof adminRuns.$inferSelect;
