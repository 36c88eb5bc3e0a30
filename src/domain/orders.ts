/**
 * @module domain/orders
 * Payment changes to orders. Every column is a function of the set of events received, never of
 * their order (ties included), and a repeated event changes nothing. With S the successes, F the
 * failures and cancellations, R the refunds and C the checkout sessions seen:
 * - `status`: `refunded` if some refund was whole, else `partially_refunded` if any R (a shipped,
 *   delivered or delivery_exception order keeps its shipping status), else `paid` if any S, else
 *   `cancelled` if any F, else `pending`;
 * - `paid_at`: the earliest success;
 * - `cancelled_at`, `payment_error`: only while `cancelled`, from the latest failure (same second:
 *   the greater reason under `COLLATE "C"`);
 * - `amount_refunded`: the greatest refunded amount; `refunded_at`: the earliest refund of that amount;
 * - the checkout session: a paid one before an unpaid one, then the least session id, then one with
 *   a payment intent, then the least payment intent id; its payment intent is kept beside the shop's
 *   own (`stripe_payment_intent_id`, which events never change), and finds the order too.
 * Each function returns one statement that changes nothing unless `onlyIf` holds (the pipeline
 * passes "this event is new") and returns a row only when it changed the order.
 */
import { type SQL, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Database } from "../db/client";
import { orders } from "../db/schema";

/** How a Stripe object points at an order, in the order the references are tried. */
export interface OrderReference {
	/** `metadata.order_id` */
	orderId?: string | null | undefined;
	/** a checkout session's `client_reference_id` */
	clientReferenceId?: string | null | undefined;
	paymentIntentId?: string | null | undefined;
}

/**
 * The id of the referenced order, or NULL: an SQL scalar usable in any statement of the batch. A
 * payment intent finds the order that the shop gave it, else the order whose linked checkout session
 * carried it (the least order id, should two sessions of different orders name it).
 */
export function referencedOrderId(ref: OrderReference): SQL {
	const intent = ref.paymentIntentId ?? null;
	return sql`(select found.id from (
		select ${orders.id} as id, 1 as rank from ${orders} where ${orders.id} = ${ref.orderId ?? null}
		union all select ${orders.id}, 2 from ${orders} where ${orders.id} = ${ref.clientReferenceId ?? null}
		union all select ${orders.id}, 3 from ${orders} where ${orders.stripePaymentIntentId} = ${intent}
		union all select ${orders.id}, 4 from ${orders} where ${orders.stripeCheckoutPaymentIntentId} = ${intent}
	) as found order by found.rank, found.id collate "C" limit 1)`;
}

/** The shop user who placed the referenced order (NULL when unknown). */
export function orderBuyer(ref: OrderReference): SQL {
	return sql`(select ${orders.userId} from ${orders} where ${orders.id} = ${referencedOrderId(ref)})`;
}

/** True when the reference finds an order (the ledger marks the event `unmatched` otherwise). */
export function orderExists(ref: OrderReference): SQL {
	return sql`${referencedOrderId(ref)} is not null`;
}

type OrderColumn = keyof typeof orders.$inferSelect;

const unpaid = sql`${orders.status} in ('pending', 'cancelled')`;
const shipping = sql`${orders.status} in ('shipped', 'delivered', 'delivery_exception')`;
/** A Date as a typed parameter, for use inside SQL expressions. */
const instant = (date: Date) => sql`${date.toISOString()}::timestamptz`;
const text = (value: string | null) => sql`${value}::text`;

/**
 * Updates the referenced order to `next` (column → expression of the current row), only when
 * `applies` and `onlyIf` hold and something would change: a no-op returns no row.
 */
function updateOrder(
	db: Database,
	ref: OrderReference,
	next: Partial<Record<OrderColumn, SQL>>,
	applies: SQL,
	onlyIf: SQL,
) {
	const columns = Object.keys(next).map((key) => orders[key as OrderColumn] as PgColumn);
	const values = Object.values(next) as SQL[];
	const changes = sql`row(${sql.join(columns, sql`, `)}) is distinct from row(${sql.join(values, sql`, `)})`;
	return db
		.update(orders)
		.set(next)
		.where(sql`${orders.id} = ${referencedOrderId(ref)} and ${applies} and ${changes} and ${onlyIf}`)
		.returning({ id: orders.id });
}

/** Payment succeeded: `paid` (from pending or cancelled), `paid_at` the earliest success. */
export function markOrderPaid(db: Database, ref: OrderReference, eventAt: Date, onlyIf: SQL) {
	return updateOrder(
		db,
		ref,
		{
			status: sql`case when ${unpaid} then 'paid' else ${orders.status} end`,
			paidAt: sql`least(${orders.paidAt}, ${instant(eventAt)})`,
			// Only a cancelled order has them, and a paid order is never cancelled again.
			cancelledAt: sql`null::timestamptz`,
			paymentError: sql`null::text`,
		},
		sql`true`,
		onlyIf,
	);
}

/** Payment failed or was abandoned: `cancelled` with the latest failure's time and reason, unless paid. */
export function cancelOrder(db: Database, ref: OrderReference, eventAt: Date, reason: string, onlyIf: SQL) {
	const later = sql`(${orders.cancelledAt} is null or (${orders.cancelledAt}, ${orders.paymentError} collate "C") < (${instant(eventAt)}, ${text(reason)}))`;
	return updateOrder(
		db,
		ref,
		{
			status: sql`'cancelled'::text`,
			cancelledAt: sql`case when ${later} then ${instant(eventAt)} else ${orders.cancelledAt} end`,
			paymentError: sql`case when ${later} then ${text(reason)} else ${orders.paymentError} end`,
		},
		unpaid,
		onlyIf,
	);
}

/**
 * Money went back: `refunded` when the whole charge was, else `partially_refunded` (a refunded
 * order stays refunded; a shipped, delivered or delivery_exception one keeps its shipping status).
 * `amount_refunded` only grows (refund events carry the charge's cumulative amount); a refund of
 * nothing changes nothing.
 */
export function refundOrder(
	db: Database,
	ref: OrderReference,
	eventAt: Date,
	refund: { amountRefunded: number; whole: boolean },
	onlyIf: SQL,
) {
	const amount = sql`${refund.amountRefunded}::bigint`;
	return updateOrder(
		db,
		ref,
		{
			status: refund.whole
				? sql`'refunded'::text`
				: sql`case when ${orders.status} = 'refunded' or ${shipping} then ${orders.status} else 'partially_refunded' end`,
			amountRefunded: sql`greatest(${orders.amountRefunded}, ${amount})`,
			refundedAt: sql`case
				when ${amount} > ${orders.amountRefunded} then ${instant(eventAt)}
				when ${amount} = ${orders.amountRefunded} then least(${orders.refundedAt}, ${instant(eventAt)})
				else ${orders.refundedAt} end`,
			cancelledAt: sql`null::timestamptz`,
			paymentError: sql`null::text`,
		},
		sql`${amount} > 0`,
		onlyIf,
	);
}

/**
 * Links a checkout session (and its payment intent) to the order when it comes before the linked
 * one: a paid session first, then the least session id, then one with a payment intent, then the
 * least payment intent id. The session's payment intent goes to `stripe_checkout_payment_intent_id`
 * (through which later payment intent events find the order); `stripe_payment_intent_id` is the
 * shop's own and no event changes it (were a link to fill it, whether the shop's value survives would
 * depend on which session arrived first).
 */
export function linkOrderToCheckout(
	db: Database,
	ref: OrderReference,
	link: { checkoutSessionId: string; paymentIntentId: string | null; paid: boolean },
	onlyIf: SQL,
) {
	const session = text(link.checkoutSessionId);
	const intent = text(link.paymentIntentId);
	const paid = sql`${link.paid}::boolean`;
	const before = sql`(${orders.stripeCheckoutSessionId} is null
		or (${paid} and not ${orders.stripeCheckoutPaid})
		or (${paid} = ${orders.stripeCheckoutPaid} and (${session} < ${orders.stripeCheckoutSessionId} collate "C"
			or (${session} = ${orders.stripeCheckoutSessionId} and ${intent} is not null
				and (${orders.stripeCheckoutPaymentIntentId} is null or ${intent} < ${orders.stripeCheckoutPaymentIntentId} collate "C")))))`;
	return updateOrder(
		db,
		ref,
		{
			stripeCheckoutSessionId: session,
			stripeCheckoutPaid: paid,
			stripeCheckoutPaymentIntentId: intent,
		},
		before,
		onlyIf,
	);
}
