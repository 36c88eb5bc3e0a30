/**
 * @module domain/subscriptions
 * Subscriptions mirrored from Stripe. Every column is a function of the set of events received,
 * never of their order (ties included). Each event has a key: its time (Stripe's `created`, in
 * seconds), its rank (`eventRank`: for events of the same second) and its id under `COLLATE "C"`.
 * - `status` comes from the event with the greatest key of all (invoices and `customer.subscription.*`),
 *   except that a terminal status (`canceled`, `incomplete_expired`) beats every non-terminal one: a
 *   late or same-second invoice never revives a canceled subscription;
 * - price, period end and cancellation come from the `customer.subscription.*` snapshot with the
 *   greatest key (an invoice carries none of them);
 * - `stripe_customer_id` and `user_id` are the least values (under `COLLATE "C"`) the events gave.
 * A row is created by whichever event arrives first (an invoice may precede the subscription's own
 * events). Each statement changes nothing unless `onlyIf` holds and returns a row only when it
 * changed the subscription.
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

/** The Stripe event a change comes from. */
export interface StripeEventStamp {
	id: string;
	type: string;
	eventAt: Date;
}

/** Same second: invoices, then created, then updated, then deleted (Stripe's own lifecycle). */
const typeRanks: Record<string, number> = {
	"invoice.paid": 0,
	"invoice.payment_succeeded": 0,
	"invoice.payment_failed": 0,
	"customer.subscription.created": 1,
	"customer.subscription.updated": 2,
	"customer.subscription.deleted": 3,
};
/** Same second and type: the status further along Stripe's lifecycle (an unknown status comes first). */
export const statusPrecedence = [
	"incomplete",
	"trialing",
	"active",
	"past_due",
	"unpaid",
	"paused",
	"incomplete_expired",
	"canceled",
] as const;

/** The tie-break of events of the same second: 10 × type rank + status rank (see the README, "Tie precedence"). */
export function eventRank(type: string, status: string): number {
	return (typeRanks[type] ?? 0) * 10 + (statusPrecedence.indexOf(status as (typeof statusPrecedence)[number]) + 1);
}

type SubscriptionColumn = keyof typeof subscriptions.$inferSelect;

/** Statuses Stripe never leaves: once an event says so, no event of any time undoes it. */
export const terminalStatuses = ["canceled", "incomplete_expired"] as const;
const terminal = (status: SQL | PgColumn) =>
	sql`(${status} in (${sql.join(
		terminalStatuses.map((s) => sql`${s}`),
		sql`, `,
	)}))`;

/**
 * The stored key is below the proposed one; a missing key is below every key. A key is (terminal,
 * time, rank, id): an event with a terminal status beats every other, then the newest wins. Only
 * snapshots carry a terminal status, so the stored status tells whether the stored snapshot is one.
 */
function proposedKeyWins(at: PgColumn, rank: PgColumn, id: PgColumn): SQL {
	return sql`(${at} is null or (${terminal(subscriptions.status)}, ${at}, coalesce(${rank}, -1), coalesce(${id}, '') collate "C")
		< (${terminal(proposed(subscriptions.status))}, ${proposed(at)}, ${proposed(rank)}, ${proposed(id)}))`;
}
const statusWins = proposedKeyWins(
	subscriptions.lastStripeEventAt,
	subscriptions.statusEventRank,
	subscriptions.statusEventId,
);
const snapshotWins = proposedKeyWins(
	subscriptions.snapshotEventAt,
	subscriptions.snapshotEventRank,
	subscriptions.snapshotEventId,
);

/** The proposed value when `wins`, else the stored one. */
const chosen = (wins: SQL, keys: SubscriptionColumn[]) =>
	Object.fromEntries(
		keys.map((key) => {
			const column = subscriptions[key] as PgColumn;
			return [key, sql`case when ${wins} then ${proposed(column)} else ${column} end`];
		}),
	) as Partial<Record<SubscriptionColumn, SQL>>;
/** The least of the stored and proposed values (NULL only when both are). */
const least = (column: PgColumn) => sql`least(${column} collate "C", ${proposed(column)})`;

const statusColumns: SubscriptionColumn[] = ["status", "lastStripeEventAt", "statusEventRank", "statusEventId"];
const snapshotColumns: SubscriptionColumn[] = [
	"priceId",
	"currentPeriodEnd",
	"cancelAtPeriodEnd",
	"canceledAt",
	"snapshotEventAt",
	"snapshotEventRank",
	"snapshotEventId",
];

/** `ON CONFLICT DO UPDATE` to `next`, only when something would change: a no-op returns no row. */
function merge(next: Partial<Record<SubscriptionColumn, SQL>>) {
	const columns = Object.keys(next).map((key) => subscriptions[key as SubscriptionColumn] as PgColumn);
	const values = Object.values(next) as SQL[];
	return {
		target: subscriptions.id,
		set: next,
		setWhere: sql`row(${sql.join(columns, sql`, `)}) is distinct from row(${sql.join(values, sql`, `)})`,
	};
}

/**
 * The shop user: the one named in metadata, else the one linked to the Stripe customer when the
 * event arrives (the least id, should several be).
 */
function userFor(userId: string | null, customerId: string | null): SQL {
	return sql`coalesce(${userId}::text, (select ${users.id} from ${users} where ${users.stripeCustomerId} = ${customerId}
		order by ${users.id} collate "C" limit 1))`;
}

/** A `customer.subscription.*` snapshot. */
export function mirrorSubscription(db: Database, snapshot: SubscriptionSnapshot, event: StripeEventStamp, onlyIf: SQL) {
	const { userId, ...fields } = snapshot;
	const rank = eventRank(event.type, snapshot.status);
	return insertIf(
		db,
		subscriptions,
		{
			...fields,
			userId: userFor(userId, snapshot.stripeCustomerId),
			lastStripeEventAt: event.eventAt,
			statusEventRank: rank,
			statusEventId: event.id,
			snapshotEventAt: event.eventAt,
			snapshotEventRank: rank,
			snapshotEventId: event.id,
		},
		onlyIf,
	)
		.onConflictDoUpdate(
			merge({
				...chosen(statusWins, statusColumns),
				...chosen(snapshotWins, snapshotColumns),
				stripeCustomerId: least(subscriptions.stripeCustomerId),
				userId: least(subscriptions.userId),
			}),
		)
		.returning({ id: subscriptions.id });
}

/** An invoice moved the subscription: `active` when paid, `past_due` when its payment failed. */
export function setSubscriptionStatus(
	db: Database,
	change: { id: string; stripeCustomerId: string | null; status: "active" | "past_due" },
	event: StripeEventStamp,
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
			lastStripeEventAt: event.eventAt,
			statusEventRank: eventRank(event.type, change.status),
			statusEventId: event.id,
		},
		onlyIf,
	)
		.onConflictDoUpdate(
			merge({
				...chosen(statusWins, statusColumns),
				stripeCustomerId: least(subscriptions.stripeCustomerId),
				userId: least(subscriptions.userId),
			}),
		)
		.returning({ id: subscriptions.id });
}
