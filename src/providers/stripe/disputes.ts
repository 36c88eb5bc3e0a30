/**
 * @module providers/stripe/disputes
 * `charge.dispute.*` events: the order found through the dispute's payment intent, else its charge
 * (once a payment recorded it), keeps the dispute's status, amount and reason (src/domain/disputes.ts).
 * Every new dispute event raises the `dispute` alert at `warn`, with the date to respond by, so the
 * shop answers in time; an unmatched one too.
 */
import { sql } from "drizzle-orm";
import type * as z from "zod/mini";
import { type DisputeStatus, orders } from "../../db/schema";
import { recordDispute } from "../../domain/disputes";
import { referencedOrderId } from "../../domain/order-update";
import { logCode } from "../../log";
import { unreadable } from "../../validation";
import type { Alert, Interpretation } from "../../webhooks/provider";
import { orderEvent, type StripeEvent } from "./order-event";
import { dispute, type stripeDisputeStatuses } from "./payload";

/** The dispute event types this module applies. */
export const disputeEventTypes = new Set([
	"charge.dispute.created",
	"charge.dispute.updated",
	"charge.dispute.closed",
	"charge.dispute.funds_withdrawn",
	"charge.dispute.funds_reinstated",
]);

/**
 * Stripe's statuses folded into ours: an inquiry (`warning_*`) or an appeal (`appeal_*`) awaits a
 * response or is under review like a chargeback; one closed without a chargeback (`warning_closed`),
 * or a dispute `prevented`, kept the money, as a `won` one did. A decided dispute (won, lost,
 * prevented) is final (src/domain/disputes.ts): an appeal after a loss alerts but leaves the order
 * `charged_back`. A closed inquiry is no decision: a chargeback that follows it replaces it.
 */
const folded: Record<(typeof stripeDisputeStatuses)[number], DisputeStatus> = {
	warning_needs_response: "needs_response",
	warning_under_review: "under_review",
	warning_closed: "won",
	appeal_needs_response: "needs_response",
	appeal_under_review: "under_review",
	needs_response: "needs_response",
	under_review: "under_review",
	won: "won",
	lost: "lost",
	prevented: "won",
};

export function fromDispute(event: StripeEvent): Interpretation {
	const parsed = dispute.safeParse(event.object);
	if (!parsed.success) return unreadable(event.id, event.type, parsed.error);
	const found: z.infer<typeof dispute> = parsed.data;
	const ref = { paymentIntentId: found.payment_intent, chargeId: found.charge };
	const snapshot = {
		disputeId: found.id,
		stripeStatus: found.status,
		status: folded[found.status],
		amount: found.amount,
		reason: found.reason ?? null,
		eventAt: event.eventAt,
		eventId: event.id,
	};
	const dueBy = found.evidence_details?.due_by;
	const alert: Alert = {
		name: "dispute",
		level: "warn",
		fields: {
			dispute_id: logCode("id", found.id),
			dispute_status: snapshot.status,
			stripe_dispute_status: found.status,
			disputed_amount: found.amount,
			currency: logCode("currency", found.currency),
			dispute_reason: logCode("reason", found.reason),
			respond_by: dueBy ? new Date(dueBy * 1000).toISOString() : null,
			payment_intent: logCode("id", found.payment_intent),
			charge: logCode("id", found.charge),
		},
		// the order and where it stands now, when the dispute found one (an unmatched dispute alerts too)
		lookup: (db) =>
			db
				.select({ order_id: orders.id, order_status: orders.status })
				.from(orders)
				.where(sql`${orders.id} = ${referencedOrderId(ref)}`),
	};
	return orderEvent(event, ref, (db, isNew) => [recordDispute(db, ref, snapshot, isNew)], alert);
}
