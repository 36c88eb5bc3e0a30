/**
 * @module providers/stripe/billing
 * Billing events that move subscriptions: invoices (paid → `active`, failed → `past_due`) and the
 * `customer.subscription.*` lifecycle, mirrored field by field.
 */
import { mirrorSubscription, setSubscriptionStatus } from "../../domain/subscriptions";
import { linkStripeCustomer } from "../../domain/users";
import { unreadable } from "../../validation";
import type { Change, Interpretation } from "../../webhooks/provider";
import type { StripeEvent } from "./order-event";
import { invoice, invoiceSubscriptionId, seconds, subscription } from "./payload";

function fromInvoice(event: StripeEvent): Interpretation {
	const parsed = invoice.safeParse(event.object);
	if (!parsed.success) return unreadable(event.id, event.type, parsed.error);
	const subscriptionId = invoiceSubscriptionId(parsed.data);
	// A one-off invoice belongs to no subscription: nothing of ours to move.
	if (!subscriptionId) return { kind: "ignore", eventId: event.id, eventType: event.type };
	const status = event.type === "invoice.payment_failed" ? "past_due" : "active";
	const change = { id: subscriptionId, stripeCustomerId: parsed.data.customer ?? null, status } as const;
	return {
		kind: "apply",
		eventId: event.id,
		eventType: event.type,
		changes: (db, isNew) => [setSubscriptionStatus(db, change, event, isNew)],
	};
}

function fromSubscription(event: StripeEvent): Interpretation {
	const parsed = subscription.safeParse(event.object);
	if (!parsed.success) return unreadable(event.id, event.type, parsed.error);
	const sub = parsed.data;
	const item = sub.items?.data[0];
	const userId = sub.metadata?.user_id ?? sub.metadata?.clerk_user_id ?? null;
	const snapshot = {
		id: sub.id,
		stripeCustomerId: sub.customer ?? null,
		status: sub.status,
		priceId: item?.price?.id ?? item?.plan?.id ?? null,
		currentPeriodEnd: seconds(item?.current_period_end ?? sub.current_period_end),
		cancelAtPeriodEnd: sub.cancel_at_period_end ?? false,
		canceledAt: seconds(sub.canceled_at),
		userId,
	};
	return {
		kind: "apply",
		eventId: event.id,
		eventType: event.type,
		changes: (db, isNew) => {
			const changes: [Change, ...Change[]] = [mirrorSubscription(db, snapshot, event, isNew)];
			if (userId && snapshot.stripeCustomerId)
				changes.push(linkStripeCustomer(db, userId, snapshot.stripeCustomerId, isNew));
			return changes;
		},
	};
}

export const billingEventTypes = new Set([
	"invoice.paid",
	"invoice.payment_succeeded",
	"invoice.payment_failed",
	"customer.subscription.created",
	"customer.subscription.updated",
	"customer.subscription.deleted",
]);

export function interpretBilling(event: StripeEvent): Interpretation {
	return event.type.startsWith("invoice.") ? fromInvoice(event) : fromSubscription(event);
}
