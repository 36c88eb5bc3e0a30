/**
 * @module domain/order-update
 * What every order change shares: how an event finds its order (metadata, client reference, payment
 * intent, charge), the payment status ranks that make `payment_status` a function of the set of events, and the one
 * update statement shape (a row only when something changed). The rules themselves are in
 * src/domain/orders.ts (payments) and src/domain/disputes.ts.
 */
import { type SQL, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Database } from "../db/client";
import { type OrderPaymentStatus, orderPaymentStatuses, orderPayments, orders } from "../db/schema";

/** How a Stripe object points at an order, in the order the references are tried. */
export interface OrderReference {
	/** `metadata.order_id` */
	orderId?: string | null | undefined;
	/** a checkout session's `client_reference_id` */
	clientReferenceId?: string | null | undefined;
	paymentIntentId?: string | null | undefined;
	/** a charge id, found only once a succeeded payment recorded it (order_payments) */
	chargeId?: string | null | undefined;
}

/**
 * The id of the referenced order, or NULL: an SQL scalar usable in any statement of the batch. A
 * payment intent finds the order that the shop gave it, else the order whose linked checkout session
 * carried it (the least order id, should two sessions of different orders name it), else an order
 * a payment event tied it to (order_payments); a charge finds the order a succeeded payment tied it to.
 */
export function referencedOrderId(ref: OrderReference): SQL {
	const intent = ref.paymentIntentId ?? null;
	return sql`(select found.id from (
		select ${orders.id} as id, 1 as rank from ${orders} where ${orders.id} = ${ref.orderId ?? null}
		union all select ${orders.id}, 2 from ${orders} where ${orders.id} = ${ref.clientReferenceId ?? null}
		union all select ${orders.id}, 3 from ${orders} where ${orders.stripePaymentIntentId} = ${intent}
		union all select ${orders.id}, 4 from ${orders} where ${orders.stripeCheckoutPaymentIntentId} = ${intent}
		union all select ${orderPayments.orderId}, 5 from ${orderPayments} where ${orderPayments.paymentIntentId} = ${intent}
		union all select ${orderPayments.orderId}, 6 from ${orderPayments} where ${orderPayments.chargeId} = ${ref.chargeId ?? null}
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

export type OrderColumn = keyof typeof orders.$inferSelect;

/**
 * The payment statuses an event can propose, lowest first (`orderPaymentStatuses` is in rank order):
 * `payment_status` stays unless an event proposes a higher one. No event writes `status`: it is
 * generated from `payment_status` and the shipments' `shipping_status` (src/db/schema.ts).
 */
export type ProposedStatus = OrderPaymentStatus;

function statusRank(status: SQL | PgColumn): SQL {
	const whens = orderPaymentStatuses.map((name, rank) => sql.raw(`when '${name}' then ${rank}`));
	return sql`(case ${status} ${sql.join(whens, sql` `)} end)`;
}

/** The higher of the current payment status and `proposed`: the order's next `payment_status`. */
export function climb(proposed: SQL): SQL {
	return sql`case when ${statusRank(proposed)} > ${statusRank(orders.paymentStatus)} then ${proposed} else ${orders.paymentStatus} end`;
}

/** A Date as a typed parameter, for use inside SQL expressions. */
export const instant = (date: Date) => sql`${date.toISOString()}::timestamptz`;
export const text = (value: string | null) => sql`${value}::text`;
export const status = (value: ProposedStatus) => sql`${value}::text`;

/** `cancelled_at` and `payment_error` are kept only while the order stays cancelled. */
export function onlyWhileCancelled(next: SQL, column: SQL | PgColumn, type: "timestamptz" | "text"): SQL {
	return sql`case when ${next} = 'cancelled' then ${column} else null::${sql.raw(type)} end`;
}

/**
 * Updates the referenced order to `next` (column → expression of the current row), only when
 * `applies` and `onlyIf` hold and something would change: a no-op returns no row.
 */
export function updateOrder(
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
