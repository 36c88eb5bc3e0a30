/**
 * @module domain/users
 * Idempotent, order-safe writes to `users`. A snapshot is applied only when it is newer than the
 * stored one (Clerk's updated_at); a deleted user becomes a tombstone that no late event revives.
 * Each function returns one statement that returns a row only when it changed something, and that
 * changes nothing unless `onlyIf` holds (the pipeline passes "this event is new").
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

/** Creates or updates the user, unless it is deleted or the stored snapshot is as new or newer. */
export function upsertUser(db: Database, user: UserSnapshot, eventAt: Date, onlyIf: SQL) {
	return insertIf(db, users, { ...user, lastEventAt: eventAt }, onlyIf)
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
			},
			setWhere: sql`${users.deletedAt} is null and (${users.updatedAt} is null or ${users.updatedAt} < ${proposed(users.updatedAt)})`,
		})
		.returning({ id: users.id });
}

/** Marks the user deleted and erases its personal data; creates the tombstone if the user was never seen. */
export function tombstoneUser(db: Database, id: string, deletedAt: Date, onlyIf: SQL) {
	return insertIf(db, users, { id, deletedAt, lastEventAt: deletedAt }, onlyIf)
		.onConflictDoUpdate({
			target: users.id,
			set: {
				deletedAt: proposed(users.deletedAt),
				lastEventAt: proposed(users.lastEventAt),
				email: null,
				emailVerified: null,
				firstName: null,
				lastName: null,
				username: null,
				imageUrl: null,
			},
			setWhere: sql`${users.deletedAt} is null`,
		})
		.returning({ id: users.id });
}

/** Remembers which Stripe customer a shop user is, the first time we learn it. */
export function linkStripeCustomer(db: Database, userId: SQL | string, customerId: string, onlyIf: SQL) {
	return db
		.update(users)
		.set({ stripeCustomerId: customerId })
		.where(sql`${users.id} = ${userId} and ${users.stripeCustomerId} is null and ${onlyIf}`)
		.returning({ id: users.id });
}
