/**
 * @module providers/stripe/order-event
 * What every Stripe event about an order shares: the event as the modules read it, and the
 * interpretation that applies it to the order its reference finds (or records it `unmatched`).
 */
import { type OrderReference, orderBuyer, orderExists } from "../../domain/order-update";
import type { Alert, ChangeBuilder, Interpretation } from "../../webhooks/provider";

export interface StripeEvent {
	id: string;
	type: string;
	eventAt: Date;
	object: Record<string, unknown>;
}

/** An event about an order; the order's buyer is the event's subject in the ledger (src/privacy.ts). */
export function orderEvent(
	event: StripeEvent,
	ref: OrderReference,
	changes: ChangeBuilder,
	alert?: Alert,
): Interpretation {
	return {
		kind: "apply",
		eventId: event.id,
		eventType: event.type,
		target: orderExists(ref),
		subjectUserId: orderBuyer(ref),
		changes,
		...(alert ? { alert } : {}),
	};
}
