/**
 * @module domain/disputes
 * Stripe disputes on orders: the order keeps its dispute's status, amount and reason from the
 * dispute event that comes last by (decided lost, decided won, anything else; event time; stage;
 * event id), so a decided dispute is never reopened by a late event and the columns are a function
 * of the set of events. A lost dispute makes the order `charged_back`.
 */
import { type SQL, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Database } from "../db/client";
import { type DisputeStatus, orders } from "../db/schema";
import { climb, instant, type OrderReference, onlyWhileCancelled, status, text, updateOrder } from "./order-update";

/** A dispute as one event saw it: amounts in minor units of the charge's currency. */
export interface DisputeSnapshot {
	disputeId: string;
	/** Stripe's own status, and ours (src/providers/stripe/disputes.ts folds them). */
	stripeStatus: string;
	status: DisputeStatus;
	amount: number;
	reason: string | null;
	eventAt: Date;
	eventId: string;
}

/**
 * A dispute event's precedence (see the module header): decided lost, decided won (`won`,
 * `prevented`), anything else (an inquiry closed, `warning_closed`, is no decision: a chargeback may
 * follow); then time; then the stage (ours: needs_response < under_review < won < lost); then event id.
 */
function disputeKey(stripeStatus: SQL | PgColumn, status: SQL | PgColumn, at: SQL | PgColumn, id: SQL | PgColumn): SQL {
	return sql`row(case ${stripeStatus} when 'lost' then 2 when 'won' then 1 when 'prevented' then 1 else 0 end, ${at},
		case ${status} when 'under_review' then 1 when 'won' then 2 when 'lost' then 3 else 0 end, ${id} collate "C")`;
}

/**
 * Keeps the dispute's status, amount and reason from the event that comes last (module header); a
 * lost dispute proposes `charged_back`.
 */
export function recordDispute(db: Database, ref: OrderReference, dispute: DisputeSnapshot, onlyIf: SQL) {
	const stripeStatus = text(dispute.stripeStatus);
	const disputeStatus = text(dispute.status);
	const later = sql`(${orders.disputeEventId} is null or ${disputeKey(stripeStatus, disputeStatus, instant(dispute.eventAt), text(dispute.eventId))} > ${disputeKey(orders.stripeDisputeStatus, orders.disputeStatus, orders.disputeEventAt, orders.disputeEventId)})`;
	const pick = (value: SQL, column: PgColumn) => sql`case when ${later} then ${value} else ${column} end`;
	const next = sql`case when ${pick(disputeStatus, orders.disputeStatus)} = 'lost' then ${climb(status("charged_back"))} else ${orders.paymentStatus} end`;
	return updateOrder(
		db,
		ref,
		{
			paymentStatus: next,
			stripeDisputeId: pick(text(dispute.disputeId), orders.stripeDisputeId),
			stripeDisputeStatus: pick(stripeStatus, orders.stripeDisputeStatus),
			disputeStatus: pick(disputeStatus, orders.disputeStatus),
			disputedAmount: pick(sql`${dispute.amount}::bigint`, orders.disputedAmount),
			disputeReason: pick(text(dispute.reason), orders.disputeReason),
			disputeEventAt: pick(instant(dispute.eventAt), orders.disputeEventAt),
			disputeEventId: pick(text(dispute.eventId), orders.disputeEventId),
			cancelledAt: onlyWhileCancelled(next, orders.cancelledAt, "timestamptz"),
			paymentError: onlyWhileCancelled(next, orders.paymentError, "text"),
		},
		sql`true`,
		onlyIf,
	);
}
