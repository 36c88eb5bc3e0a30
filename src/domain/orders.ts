/**
 * @module domain/orders
 * Payment changes to orders, safe in any delivery order and under duplicates. The rules converge on
 * the same final state whatever order the events arrive in:
 * - a successful payment moves `pending`/`cancelled` to `paid`; it never moves an order back from a
 *   refund or a shipment (then it only fills `paid_at`);
 * - a failure or cancellation moves only an unpaid order, and only if no newer Stripe event was applied;
 * - a refund applies from any state when it refunds more than recorded (amounts only grow).
 * Every statement changes nothing unless `onlyIf` holds (the pipeline passes "this event is new")
 * and returns a row only when it changed the order.
 */
import { type SQL, sql } from "drizzle-orm";
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

/** The id of the referenced order, or NULL: an SQL scalar usable in any statement of the batch. */
export function referencedOrderId(ref: OrderReference): SQL {
	return sql`(select found.id from (
		select ${orders.id} as id, 1 as rank from ${orders} where ${orders.id} = ${ref.orderId ?? null}
		union all select ${orders.id}, 2 from ${orders} where ${orders.id} = ${ref.clientReferenceId ?? null}
		union all select ${orders.id}, 3 from ${orders} where ${orders.stripePaymentIntentId} = ${ref.paymentIntentId ?? null}
	) as found order by found.rank limit 1)`;
}

/** The shop user who placed the referenced order (NULL when unknown). */
export function orderBuyer(ref: OrderReference): SQL {
	return sql`(select ${orders.userId} from ${orders} where ${orders.id} = ${referencedOrderId(ref)})`;
}

/** True when the reference finds an order (the ledger marks the event `unmatched` otherwise). */
export function orderExists(ref: OrderReference): SQL {
	return sql`${referencedOrderId(ref)} is not null`;
}

const unpaid = sql`${orders.status} in ('pending', 'cancelled')`;
/** A Date as a typed parameter, for use inside SQL expressions. */
const instant = (date: Date) => sql`${date.toISOString()}::timestamptz`;
const laterStripeEvent = (eventAt: Date) => sql`greatest(${orders.lastStripeEventAt}, ${instant(eventAt)})`;

/** Payment succeeded: `paid` (from pending or cancelled), `paid_at` filled once. */
export function markOrderPaid(db: Database, ref: OrderReference, eventAt: Date, onlyIf: SQL) {
	return db
		.update(orders)
		.set({
			status: sql`case when ${unpaid} then 'paid' else ${orders.status} end`,
			paidAt: sql`coalesce(${orders.paidAt}, ${instant(eventAt)})`,
			cancelledAt: sql`case when ${unpaid} then null else ${orders.cancelledAt} end`,
			paymentError: sql`case when ${unpaid} then null else ${orders.paymentError} end`,
			lastStripeEventAt: laterStripeEvent(eventAt),
		})
		.where(sql`${orders.id} = ${referencedOrderId(ref)} and (${unpaid} or ${orders.paidAt} is null) and ${onlyIf}`)
		.returning({ id: orders.id });
}

/** Payment failed or was abandoned: `cancelled` with the reason, unless paid or a newer event was applied. */
export function cancelOrder(db: Database, ref: OrderReference, eventAt: Date, reason: string, onlyIf: SQL) {
	return db
		.update(orders)
		.set({
			status: "cancelled",
			cancelledAt: eventAt,
			paymentError: reason,
			lastStripeEventAt: laterStripeEvent(eventAt),
		})
		.where(
			sql`${orders.id} = ${referencedOrderId(ref)} and ${unpaid}
				and (${orders.lastStripeEventAt} is null or ${orders.lastStripeEventAt} <= ${instant(eventAt)}) and ${onlyIf}`,
		)
		.returning({ id: orders.id });
}

/**
 * Money went back: `refunded` when the whole charge was, else `partially_refunded` (a shipped or
 * delivered order keeps its shipping status on a partial refund). Applies only when more is refunded
 * than recorded, so late or repeated refund events change nothing.
 */
export function refundOrder(
	db: Database,
	ref: OrderReference,
	eventAt: Date,
	refund: { amountRefunded: number; whole: boolean },
	onlyIf: SQL,
) {
	return db
		.update(orders)
		.set({
			status: sql`case
				when ${refund.whole} then 'refunded'
				when ${orders.status} in ('shipped', 'delivered', 'delivery_exception') then ${orders.status}
				else 'partially_refunded' end`,
			amountRefunded: refund.amountRefunded,
			refundedAt: eventAt,
			lastStripeEventAt: laterStripeEvent(eventAt),
		})
		.where(
			sql`${orders.id} = ${referencedOrderId(ref)} and ${orders.amountRefunded} < ${refund.amountRefunded} and ${onlyIf}`,
		)
		.returning({ id: orders.id });
}

/** Records the checkout session and payment intent on the order, where not yet known. */
export function linkOrderToCheckout(
	db: Database,
	ref: OrderReference,
	link: { checkoutSessionId: string; paymentIntentId: string | null },
	eventAt: Date,
	onlyIf: SQL,
) {
	// A payment intent already linked to another order stays there (it is unique).
	const paymentIntent = sql`case when not exists (select 1 from ${orders} other where other.stripe_payment_intent_id = ${link.paymentIntentId}) then ${link.paymentIntentId} end`;
	return db
		.update(orders)
		.set({
			stripeCheckoutSessionId: sql`coalesce(${orders.stripeCheckoutSessionId}, ${link.checkoutSessionId})`,
			stripePaymentIntentId: sql`coalesce(${orders.stripePaymentIntentId}, ${paymentIntent})`,
			lastStripeEventAt: laterStripeEvent(eventAt),
		})
		.where(
			sql`${orders.id} = ${referencedOrderId(ref)} and ${onlyIf} and (${orders.stripeCheckoutSessionId} is null
				or (${orders.stripePaymentIntentId} is null and ${link.paymentIntentId}::text is not null))`,
		)
		.returning({ id: orders.id });
}
