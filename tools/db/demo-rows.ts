/**
 * @module tools/db/demo-rows
 * What `npm run db:seed` (tools/db/seed.ts) writes, as the statements that write it, so that the
 * tests write the very same rows:
 * - two users and a subscription (sub_demo_1 of customer cus_demo_ada);
 * - the orders the send templates aim at (src/providers/stripe/send.ts): order_demo_1…6 pending (payment
 *   intents pi_demo_1…6) and order_demo_7 paid (pi_demo_7, charge ch_demo_7, which disputes name);
 * - one order in each status, `order_demo_<status>` (pi_demo_<status>), its columns as the events
 *   that lead there would have left them: a paid one has its `paid_at`, receipt and charge, a
 *   `payment_mismatch` one received too little, a `charged_back` one carries a lost dispute; the
 *   shipping ones are paid, with that `shipping_status` (`status` is generated from the two).
 * - no suppression of the demo users' addresses, so that `npm run send -- email <provider> bounced`
 *   (whose default recipient is ada@example.com) marks user_demo_ada invalid again after a re-run.
 * Every order is 4999 usd of user_demo_ada. Every column of these orders is written, so a re-run
 * resets whatever webhooks changed (other rows, the email messages and the ledger are left alone).
 */
import type { DisputeStatus, OrderPaymentStatus, OrderShippingStatus, OrderStatus } from "../../src/db/schema.ts";

/** An order row as the seed writes it: every column, none left to a default. */
export interface OrderRow {
	id: string;
	user_id: string;
	/** `status` is generated from these two (src/db/schema.ts): the shipping one unless the money went back. */
	payment_status: OrderPaymentStatus;
	shipping_status: OrderShippingStatus | null;
	amount_total: number;
	amount_refunded: number;
	currency: string;
	stripe_payment_intent_id: string;
	stripe_checkout_session_id: string | null;
	created_at: string;
	paid_at: string | null;
	cancelled_at: string | null;
	refunded_at: string | null;
	payment_error: string | null;
	stripe_checkout_paid: boolean;
	stripe_checkout_payment_intent_id: string | null;
	amount_received: number | null;
	currency_received: string | null;
	stripe_charge_id: string | null;
	stripe_dispute_id: string | null;
	/** Stripe's own status of the dispute (`dispute_status` is ours). */
	stripe_dispute_status: string | null;
	dispute_status: DisputeStatus | null;
	disputed_amount: number | null;
	dispute_reason: string | null;
	dispute_event_at: string | null;
	dispute_event_id: string | null;
}

/** The user the email templates write to unless `--to` says otherwise. */
export const demoUser = { id: "user_demo_ada", email: "ada@example.com" } as const;
const otherDemoUser = { id: "user_demo_grace", email: "grace@example.com" } as const;

/**
 * What `npm run send -- email …` writes about (src/providers/sending.ts SendContext): the recipient
 * `to` (by default the demo user), and the tags of the demo order's confirmation: `order_id`
 * order_demo_1, and `user_id` when the recipient is the demo user.
 */
export function demoSendContext(to: string = demoUser.email): { to: string; tags: Record<string, string> } {
	const tags: Record<string, string> = { order_id: "order_demo_1" };
	if (to.toLowerCase() === demoUser.email) tags.user_id = demoUser.id;
	return { to, tags };
}

/** The orders the send templates aim at: 1…6 pending, 7 paid. */
export const exampleOrders = 7;

/** The demo orders, their times `now` less some hours (unix milliseconds). */
export function demoOrders(now: number): OrderRow[] {
	const hoursAgo = (hours: number) => new Date(now - hours * 3_600_000).toISOString();

	/** An order as the shop creates it: pending, 4999 usd, with its own payment intent. */
	const order = (name: string, changes: Partial<OrderRow> = {}): OrderRow => ({
		id: `order_demo_${name}`,
		user_id: "user_demo_ada",
		payment_status: "pending",
		shipping_status: null,
		amount_total: 4999,
		amount_refunded: 0,
		currency: "usd",
		stripe_payment_intent_id: `pi_demo_${name}`,
		stripe_checkout_session_id: null,
		created_at: hoursAgo(72),
		paid_at: null,
		cancelled_at: null,
		refunded_at: null,
		payment_error: null,
		stripe_checkout_paid: false,
		stripe_checkout_payment_intent_id: null,
		amount_received: null,
		currency_received: null,
		stripe_charge_id: null,
		stripe_dispute_id: null,
		stripe_dispute_status: null,
		dispute_status: null,
		disputed_amount: null,
		dispute_reason: null,
		dispute_event_at: null,
		dispute_event_id: null,
		...changes,
	});

	/** What a covering payment (payment_intent.succeeded, its charge ch_demo_<name>) leaves on the order. */
	const paid = (name: string, changes: Partial<OrderRow> = {}) =>
		order(name, {
			payment_status: "paid",
			paid_at: hoursAgo(48),
			amount_received: 4999,
			currency_received: "usd",
			stripe_charge_id: `ch_demo_${name}`,
			...changes,
		});

	/** One order per status (a Record: a new status fails the typecheck until it has its row). */
	const inEachStatus: Record<OrderStatus, (name: string) => OrderRow> = {
		pending: (name) => order(name),
		// payment_intent.processing: a bank debit on its way (its charge is recorded once it succeeds)
		processing: (name) => order(name, { payment_status: "processing" }),
		paid: (name) => paid(name),
		// a payment_intent.succeeded for less than the order
		payment_mismatch: (name) =>
			order(name, {
				payment_status: "payment_mismatch",
				amount_received: 1000,
				currency_received: "usd",
				stripe_charge_id: `ch_demo_${name}`,
			}),
		// a payment_intent.payment_failed
		cancelled: (name) =>
			order(name, {
				payment_status: "cancelled",
				cancelled_at: hoursAgo(48),
				payment_error: "insufficient_funds: Your card has insufficient funds.",
			}),
		// charge.refunded, for part or all of the charge
		partially_refunded: (name) =>
			paid(name, { payment_status: "partially_refunded", amount_refunded: 1000, refunded_at: hoursAgo(24) }),
		refunded: (name) => paid(name, { payment_status: "refunded", amount_refunded: 4999, refunded_at: hoursAgo(24) }),
		// a charge.dispute.closed the shop lost
		charged_back: (name) =>
			paid(name, {
				payment_status: "charged_back",
				stripe_dispute_id: `du_demo_${name}`,
				stripe_dispute_status: "lost",
				dispute_status: "lost",
				disputed_amount: 4999,
				dispute_reason: "fraudulent",
				dispute_event_at: hoursAgo(1),
				dispute_event_id: `evt_demo_${name}`,
			}),
		// the carriers' statuses (the order's shipments), after a payment
		shipped: (name) => paid(name, { shipping_status: "shipped" }),
		delivered: (name) => paid(name, { shipping_status: "delivered" }),
		delivery_exception: (name) => paid(name, { shipping_status: "delivery_exception" }),
	};

	return [
		...Array.from({ length: exampleOrders - 1 }, (_, n) => order(String(n + 1))),
		paid(String(exampleOrders)),
		...Object.entries(inEachStatus).map(([status, row]) => row(status)),
	];
}

export interface Statement {
	query: string;
	params: (string | null)[];
}

/** The statements that write the demo rows, in one transaction (the bridge's batch). */
export function seedStatements(now: number): Statement[] {
	const orders = demoOrders(now);
	const columns = Object.keys(orders[0] as OrderRow);
	return [
		{
			// before the users: writing their email derives their email_status from the suppressions (migration 0007)
			query: "delete from email_suppressions where address in ($1, $2)",
			params: [demoUser.email, otherDemoUser.email],
		},
		{
			query: `insert into users (id, email, email_verified, first_name, last_name, created_at, updated_at, stripe_customer_id)
		 values ($1, $2, true, 'Ada', 'Lovelace', now(), now(), 'cus_demo_ada'),
		        ($3, $4, true, 'Grace', 'Hopper', now(), now(), null)
		 on conflict (id) do update set deleted_at = null, email = excluded.email, email_verified = true,
		   first_name = excluded.first_name, last_name = excluded.last_name, stripe_customer_id = excluded.stripe_customer_id`,
			params: [demoUser.id, demoUser.email, otherDemoUser.id, otherDemoUser.email],
		},
		{
			// every column, so that a re-run resets whatever webhooks changed
			query: `insert into orders (${columns.join(", ")})
		 select ${columns.join(", ")} from json_populate_recordset(null::orders, $1::json)
		 on conflict (id) do update set ${columns
				.filter((column) => column !== "id")
				.map((column) => `${column} = excluded.${column}`)
				.join(", ")}`,
			params: [JSON.stringify(orders)],
		},
		{
			// the payments the seeded orders received, as their events would have tied them (refunds and
			// disputes find an order through these): reset to exactly those
			query:
				"delete from order_payments where order_id in (select id from json_populate_recordset(null::orders, $1::json))",
			params: [JSON.stringify(orders)],
		},
		{
			query: `insert into order_payments (order_id, payment_intent_id, charge_id)
			 select id, stripe_payment_intent_id, stripe_charge_id from json_populate_recordset(null::orders, $1::json)
			 where stripe_charge_id is not null`,
			params: [JSON.stringify(orders)],
		},
		{
			query: `insert into subscriptions (id, user_id, stripe_customer_id, status, price_id, current_period_end, cancel_at_period_end)
		 values ('sub_demo_1', 'user_demo_ada', 'cus_demo_ada', 'active', 'price_demo_pro', now() + interval '30 days', false)
		 on conflict (id) do update set user_id = excluded.user_id, stripe_customer_id = excluded.stripe_customer_id,
		   status = 'active', price_id = excluded.price_id, current_period_end = excluded.current_period_end,
		   cancel_at_period_end = false, canceled_at = null, last_stripe_event_at = null,
		   status_event_rank = null, status_event_id = null, snapshot_event_at = null, snapshot_event_rank = null, snapshot_event_id = null`,
			params: [],
		},
	];
}
