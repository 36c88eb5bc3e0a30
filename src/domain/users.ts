/**
 * @module domain/users
 * Writes to `users`, each a function of the set of events received (never of their order):
 * - the stored snapshot is the one with the greatest key (Clerk's `updated_at`, the event's time,
 *   the event id under `COLLATE "C"`), kept with `last_event_at` / `last_event_id`;
 * - a deletion wins over every snapshot: the row becomes a tombstone that holds no snapshot column
 *   at all, `deleted_at` being the earliest deletion (ties: the least event id);
 * - `stripe_customer_id` is the least customer id any Stripe event linked to the user.
 * Each function returns one statement that changes nothing unless `onlyIf` holds (the pipeline
 * passes "this event is new") and returns a row only when it changed the user.
 */
import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { insertIf, proposed } from "../db/insert-if";
import { users } from "../db/schema";

/** A user as the identity provider last described it. */
export interface UserSnapshot {
	id: string;
	email: string | null;
	emailVerified: boolean | null;
	firstName: string | null;
	lastName: string | null;
	username: string | null;
	imageUrl: string | null;
	createdAt: Date;
	updatedAt: Date;
}

/** The event a change comes from: its id (unique per provider) and its time. */
export interface EventStamp {
	id: string;
	at: Date;
}

/** The stored snapshot's key is below the proposed one's (a row from before migration 0003 has no event id). */
const proposedSnapshotWins = sql`(${users.updatedAt} is null or (${users.updatedAt}, ${users.lastEventAt}, coalesce(${users.lastEventId}, '') collate "C")
	< (${proposed(users.updatedAt)}, ${proposed(users.lastEventAt)}, ${proposed(users.lastEventId)}))`;

/** Creates or replaces the user's snapshot, unless the user is deleted or the stored snapshot's key is greater. */
export function upsertUser(db: Database, user: UserSnapshot, event: EventStamp, onlyIf: SQL) {
	return insertIf(db, users, { ...user, lastEventAt: event.at, lastEventId: event.id }, onlyIf)
		.onConflictDoUpdate({
			target: users.id,
			set: {
				email: proposed(users.email),
				emailVerified: proposed(users.emailVerified),
				firstName: proposed(users.firstName),
				lastName: proposed(users.lastName),
				username: proposed(users.username),
				imageUrl: proposed(users.imageUrl),
				createdAt: proposed(users.createdAt),
				updatedAt: proposed(users.updatedAt),
				lastEventAt: proposed(users.lastEventAt),
				lastEventId: proposed(users.lastEventId),
			},
			// The winner's event id differs from the stored one, so an applied snapshot always changes the row.
			setWhere: sql`${users.deletedAt} is null and ${proposedSnapshotWins}`,
		})
		.returning({ id: users.id });
}

/**
 * Makes the user a tombstone: every snapshot column erased (its times too, so that "created, then
 * deleted" and "deleted, then created" end alike), `deleted_at` the earliest deletion. Creates the
 * tombstone if the user was never seen.
 */
export function tombstoneUser(db: Database, id: string, event: EventStamp, onlyIf: SQL) {
	return insertIf(db, users, { id, deletedAt: event.at, lastEventAt: event.at, lastEventId: event.id }, onlyIf)
		.onConflictDoUpdate({
			target: users.id,
			set: {
				email: null,
				emailVerified: null,
				firstName: null,
				lastName: null,
				username: null,
				imageUrl: null,
				createdAt: null,
				updatedAt: null,
				deletedAt: proposed(users.deletedAt),
				lastEventAt: proposed(users.lastEventAt),
				lastEventId: proposed(users.lastEventId),
			},
			setWhere: sql`${users.deletedAt} is null or (${users.deletedAt}, coalesce(${users.lastEventId}, '') collate "C")
				> (${proposed(users.deletedAt)}, ${proposed(users.lastEventId)})`,
		})
		.returning({ id: users.id });
}

/**
 * Remembers which Stripe customer a shop user is: the least customer id (under `COLLATE "C"`) of all
 * the links received, so two events naming different customers end alike in either order. A link
 * for a user Clerk has not told us about yet creates the user's row (id and customer only), which
 * the user's snapshot fills when it comes: the link is not lost to the delivery order.
 */
export function linkStripeCustomer(db: Database, userId: SQL | string, customerId: string, onlyIf: SQL) {
	const id = typeof userId === "string" ? sql`${userId}::text` : sql`(${userId})`;
	return insertIf(db, users, { id, stripeCustomerId: customerId }, sql`${onlyIf} and ${id} is not null`)
		.onConflictDoUpdate({
			target: users.id,
			set: { stripeCustomerId: proposed(users.stripeCustomerId) },
			setWhere: sql`${users.stripeCustomerId} is null or ${users.stripeCustomerId} > ${proposed(users.stripeCustomerId)} collate "C"`,
		})
		.returning({ id: users.id });
}
