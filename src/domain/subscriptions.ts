/**
 * @module domain/subscriptions
 * Subscriptions mirrored from Stripe, order-safe: an event newer than the last one applied replaces
 * the mirrored fields; an older (or same-second) one only fills fields still unknown. A row is
 * created by whichever event arrives first (an invoice may precede `customer.subscription.created`).
 * Every statement changes nothing unless `onlyIf` holds and returns a row only when it changed one.
 */
import { type SQL, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Database } from "../db/client";
import { insertIf, proposed } from "../db/insert-if";
import { subscriptions, users } from "../db/schema";

export interface SubscriptionSnapshot {
	id: string;
	stripeCustomerId: string | null;
	status: string;
	priceId: string | null;
	currentPeriodEnd: Date | null;
	cancelAtPeriodEnd: boolean;
	canceledAt: Date | null;
	/** `metadata.user_id` / `metadata.clerk_user_id`, when the shop put one there. */
	userId: string | null;
}

const isNewer = sql`(${subscriptions.lastStripeEventAt} is null or ${subscriptions.lastStripeEventAt} < ${proposed(subscriptions.lastStripeEventAt)})`;
/** The stored value, or the proposed one while none is known. */
const filled = (column: PgColumn): SQL => sql`coalesce(${column}, ${proposed(column)})`;
/** Newer events replace the value; older ones only fill it in. */
const mirrored = (column: PgColumn): SQL =>
	sql`case when ${isNewer} then ${proposed(column)} else ${filled(column)} end`;

/** The shop user: the one named in metadata, else the one already linked to the Stripe customer. */
function userFor(userId: string | null, customerId: string | null): SQL {
	return sql`coalesce(${userId}::text, (select ${users.id} from ${users} where ${users.stripeCustomerId} = ${customerId} limit 1))`;
}

/** A `customer.subscription.*` snapshot. */
export function mirrorSubscription(db: Database, snapshot: SubscriptionSnapshot, eventAt: Date, onlyIf: SQL) {
	const { userId, ...fields } = snapshot;
	return insertIf(
		db,
		subscriptions,
		{ ...fields, userId: userFor(userId, snapshot.stripeCustomerId), lastStripeEventAt: eventAt },
		onlyIf,
	)
		.onConflictDoUpdate({
			target: subscriptions.id,
			set: {
				status: sql`case when ${isNewer} then ${proposed(subscriptions.status)} else ${subscriptions.status} end`,
				priceId: mirrored(subscriptions.priceId),
				currentPeriodEnd: mirrored(subscriptions.currentPeriodEnd),
				cancelAtPeriodEnd: mirrored(subscriptions.cancelAtPeriodEnd),
				canceledAt: mirrored(subscriptions.canceledAt),
				stripeCustomerId: filled(subscriptions.stripeCustomerId),
				userId: filled(subscriptions.userId),
				lastStripeEventAt: sql`greatest(${subscriptions.lastStripeEventAt}, ${proposed(subscriptions.lastStripeEventAt)})`,
			},
		})
		.returning({ id: subscriptions.id });
}

/** An invoice moved the subscription: `active` when paid, `past_due` when its payment failed. */
export function setSubscriptionStatus(
	db: Database,
	change: { id: string; stripeCustomerId: string | null; status: "active" | "past_due" },
	eventAt: Date,
	onlyIf: SQL,
) {
	return insertIf(
		db,
		subscriptions,
		{
			id: change.id,
			stripeCustomerId: change.stripeCustomerId,
			status: change.status,
			userId: userFor(null, change.stripeCustomerId),
			lastStripeEventAt: eventAt,
		},
		onlyIf,
	)
		.onConflictDoUpdate({
			target: subscriptions.id,
			set: {
				status: proposed(subscriptions.status),
				stripeCustomerId: filled(subscriptions.stripeCustomerId),
				lastStripeEventAt: proposed(subscriptions.lastStripeEventAt),
			},
			setWhere: isNewer,
		})
		.returning({ id: subscriptions.id });
}
