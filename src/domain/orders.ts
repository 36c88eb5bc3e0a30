/**
 * @module domain/orders
 * Payment changes to orders. Every column is a function of the set of events received, never of
 * their order (ties included), and a repeated event changes nothing.
 * - `payment_status` only climbs the payment ranks (schema `orderPaymentStatuses`): each event
 *   proposes a status and the higher of it and the current one stays. A payment proposes `paid` when
 *   it covers the order (at least `amount_total`, in its currency, compared case-insensitively) and
 *   `payment_mismatch` otherwise; money on its way proposes `processing`; a failure or cancellation
 *   `cancelled`; a refund `partially_refunded` or `refunded`; a lost dispute `charged_back`. No event
 *   writes `status`: it is generated, the shipping status unless the money went back (src/db/schema.ts),
 *   so a partial refund leaves a shipped order shipped and a whole one shows `refunded`.
 * - `paid_at`: the earliest payment that covers the order;
 * - `amount_received`, `currency_received`, `stripe_charge_id`: the payment received that comes
 *   first by (covers, same currency, greater amount, greater currency, greater charge id);
 * - `cancelled_at`, `payment_error`: only while the payment is `cancelled`, from the latest failure
 *   (same second: the greater reason under `COLLATE "C"`);
 * - `amount_refunded`: the greatest refunded amount; `refunded_at`: the earliest refund of that amount;
 * - the checkout session: a paid one before an unpaid one, then the least session id, then one with
 *   a payment intent, then the least payment intent id; its payment intent is kept beside the shop's
 *   own (`stripe_payment_intent_id`, which events never change), and finds the order too;
 * - the dispute columns: from the dispute event that comes last by (lost, then won, then open; event
 *   time; `under_review` after `needs_response`; event id): a closed dispute is never reopened.
 * Each function returns one statement that changes nothing unless `onlyIf` holds (the pipeline
 * passes "this event is new") and returns a row only when it changed the order.
 */
import { type SQL, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Database } from "../db/client";
import { orderPayments, orders } from "../db/schema";
import {
	climb,
	instant,
	type OrderReference,
	onlyWhileCancelled,
	type ProposedStatus,
	referencedOrderId,
	status,
	text,
	updateOrder,
} from "./order-update";

/** Proposes `proposed`; `cancelled_at` and `payment_error` go unless the order stays cancelled. */
function proposeStatus(db: Database, ref: OrderReference, proposed: ProposedStatus, onlyIf: SQL) {
	const next = climb(status(proposed));
	return updateOrder(
		db,
		ref,
		{
			paymentStatus: next,
			cancelledAt: onlyWhileCancelled(next, orders.cancelledAt, "timestamptz"),
			paymentError: onlyWhileCancelled(next, orders.paymentError, "text"),
		},
		sql`true`,
		onlyIf,
	);
}

/**
 * Money received for an order: minor units of `currency` (ISO code, any case; null when the event
 * states none, as a setup-mode Checkout Session: it then counts as the order's), and its charge when known.
 */
export interface Receipt {
	amount: number;
	currency: string | null;
	chargeId: string | null;
}

/** An ISO currency code, lower-cased the same on every server (ASCII only, whatever the database's locale). */
const currencyCode = (currency: SQL | PgColumn) => sql`lower(${currency} collate "C")`;

/** The receipt's currency, the order's when it states none. */
const receivedCurrency = (receipt: Receipt) => sql`coalesce(${receipt.currency}::text, ${orders.currency})`;

/** True when the receipt covers the order: at least `amount_total`, in the order's currency (any case). */
export function covers(receipt: Receipt): SQL {
	return sql`(${receipt.amount}::bigint >= ${orders.amountTotal} and ${currencyCode(receivedCurrency(receipt))} = ${currencyCode(orders.currency)})`;
}

/** A receipt's precedence: one that covers, then in the order's currency, then more, then by currency and charge. */
function receiptKey(amount: SQL | PgColumn, currency: SQL | PgColumn, chargeId: SQL | PgColumn): SQL {
	const sameCurrency = sql`${currencyCode(currency)} = ${currencyCode(orders.currency)}`;
	return sql`row(${amount} >= ${orders.amountTotal} and ${sameCurrency},
		${sameCurrency}, ${amount}, ${currency} collate "C", coalesce(${chargeId}, '') collate "C")`;
}

/**
 * A payment succeeded: `paid` when it covers the order, else `payment_mismatch`; `paid_at` the earliest
 * covering payment; the receipt kept when it comes before the one stored (see the module header).
 */
export function recordPayment(db: Database, ref: OrderReference, eventAt: Date, receipt: Receipt, onlyIf: SQL) {
	const amount = sql`${receipt.amount}::bigint`;
	const currency = receivedCurrency(receipt);
	const chargeId = text(receipt.chargeId);
	const enough = covers(receipt);
	const before = sql`(${orders.amountReceived} is null or ${receiptKey(amount, currency, chargeId)} > ${receiptKey(orders.amountReceived, orders.currencyReceived, orders.stripeChargeId)})`;
	const next = climb(sql`case when ${enough} then ${status("paid")} else ${status("payment_mismatch")} end`);
	return updateOrder(
		db,
		ref,
		{
			paymentStatus: next,
			paidAt: sql`case when ${enough} then least(${orders.paidAt}, ${instant(eventAt)}) else ${orders.paidAt} end`,
			amountReceived: sql`case when ${before} then ${amount} else ${orders.amountReceived} end`,
			currencyReceived: sql`case when ${before} then ${currency} else ${orders.currencyReceived} end`,
			stripeChargeId: sql`case when ${before} then ${chargeId} else ${orders.stripeChargeId} end`,
			cancelledAt: onlyWhileCancelled(next, orders.cancelledAt, "timestamptz"),
			paymentError: onlyWhileCancelled(next, orders.paymentError, "text"),
		},
		sql`true`,
		onlyIf,
	);
}

/**
 * Ties a payment intent (and, once it succeeded, its charge) to the referenced order in
 * order_payments, through which later events find the order. Only adds: a charge already known for
 * the pair stays unless this one sorts after it (a succeeded intent has one charge). Returns no row:
 * it changes no column of the order.
 */
export function linkPayment(
	db: Database,
	ref: OrderReference,
	payment: { paymentIntentId: string; chargeId: string | null },
	onlyIf: SQL,
) {
	const orderId = referencedOrderId(ref);
	return db.execute(sql`insert into ${orderPayments} (order_id, payment_intent_id, charge_id)
		select ${orderId}, ${payment.paymentIntentId}, ${payment.chargeId}::text where ${orderId} is not null and ${onlyIf}
		on conflict (payment_intent_id, order_id) do update
		set charge_id = greatest(${orderPayments.chargeId} collate "C", excluded.charge_id collate "C")
		where excluded.charge_id is not null`);
}

/** Money is on its way (an asynchronous method): a `pending` order becomes `processing`. */
export function markOrderProcessing(db: Database, ref: OrderReference, onlyIf: SQL) {
	return proposeStatus(db, ref, "processing", onlyIf);
}

/** Payment failed or was abandoned: `cancelled` with the latest failure's time and reason, unless money came. */
export function cancelOrder(db: Database, ref: OrderReference, eventAt: Date, reason: string, onlyIf: SQL) {
	const next = climb(status("cancelled"));
	const later = sql`(${orders.cancelledAt} is null or (${orders.cancelledAt}, ${orders.paymentError} collate "C") < (${instant(eventAt)}, ${text(reason)}))`;
	return updateOrder(
		db,
		ref,
		{
			paymentStatus: next,
			cancelledAt: onlyWhileCancelled(
				next,
				sql`case when ${later} then ${instant(eventAt)} else ${orders.cancelledAt} end`,
				"timestamptz",
			),
			paymentError: onlyWhileCancelled(
				next,
				sql`case when ${later} then ${text(reason)} else ${orders.paymentError} end`,
				"text",
			),
		},
		sql`true`,
		onlyIf,
	);
}

/**
 * Money went back: `refunded` when the whole charge was, else `partially_refunded`, when the charge
 * covered the order; the refund of a charge that did not (a short payment sent back) leaves the
 * status as it is, so that a payment covering the order still makes it `paid`. `amount_refunded`
 * only grows (refund events carry the charge's cumulative amount); a refund of nothing changes nothing.
 */
export function refundOrder(
	db: Database,
	ref: OrderReference,
	eventAt: Date,
	refund: { amountRefunded: number; whole: boolean; charge: Receipt },
	onlyIf: SQL,
) {
	const amount = sql`${refund.amountRefunded}::bigint`;
	const proposed = climb(status(refund.whole ? "refunded" : "partially_refunded"));
	const next = sql`case when ${covers(refund.charge)} then ${proposed} else ${orders.paymentStatus} end`;
	return updateOrder(
		db,
		ref,
		{
			paymentStatus: next,
			amountRefunded: sql`greatest(${orders.amountRefunded}, ${amount})`,
			refundedAt: sql`case
				when ${amount} > ${orders.amountRefunded} then ${instant(eventAt)}
				when ${amount} = ${orders.amountRefunded} then least(${orders.refundedAt}, ${instant(eventAt)})
				else ${orders.refundedAt} end`,
			cancelledAt: onlyWhileCancelled(next, orders.cancelledAt, "timestamptz"),
			paymentError: onlyWhileCancelled(next, orders.paymentError, "text"),
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
