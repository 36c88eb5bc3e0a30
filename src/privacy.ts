/**
 * @module privacy
 * Personal data leaves with the user. The ledger records which shop user an event is about
 * (`subject_user_id`); when Clerk reports the user deleted, the same transaction that writes the
 * tombstone replaces the stored payload of every event about them with its skeleton, and an event
 * about an already deleted user is stored as its skeleton from the start. A skeleton keeps what the
 * operator needs to reason about an event (ids, types, times, statuses, amounts) and nothing that can
 * describe a person (names, emails, addresses, phone numbers, IPs, user agents, metadata, free text).
 */
import { type SQL, sql } from "drizzle-orm";
import type { Database } from "./db/client";
import { users, webhookEvents } from "./db/schema";

/** Keys kept in a skeleton, at the top level, in `data` and in `data.object`, when their value is a scalar. */
export const skeletonKeys = [
	"id",
	"object",
	"type",
	"api_version",
	"account",
	"livemode",
	"created",
	"created_at",
	"updated_at",
	"timestamp",
	"deleted",
	"status",
	"payment_status",
	"amount",
	"amount_total",
	"amount_received",
	"amount_refunded",
	"currency",
	"customer",
	"payment_intent",
	"subscription",
	"invoice",
	"charge",
] as const;

const keys = sql.raw(`array[${skeletonKeys.map((key) => `'${key}'`).join(", ")}]::text[]`);

/** The scalar members of a JSON object whose key is in skeletonKeys; SQL NULL when `object` is not an object. */
function scalarsOf(object: SQL): SQL {
	return sql`(select jsonb_object_agg(kept.key, kept.value) from jsonb_each(case when jsonb_typeof(${object}) = 'object' then ${object} end) as kept
		where kept.key = any(${keys}) and jsonb_typeof(kept.value) in ('string', 'number', 'boolean'))`;
}

/** The skeleton of a stored payload (Clerk's `data`, Stripe's `data.object`): no personal data left. */
export function skeletonOf(payload: SQL): SQL {
	const data = sql`(${payload}) -> 'data'`;
	const object = sql`(${payload}) -> 'data' -> 'object'`;
	const nested = sql`case when jsonb_typeof(${object}) = 'object' then jsonb_build_object('object', ${scalarsOf(object)}) else '{}'::jsonb end`;
	return sql`jsonb_strip_nulls(coalesce(${scalarsOf(payload)}, '{}'::jsonb) || jsonb_build_object('data',
		coalesce(${scalarsOf(data)}, '{}'::jsonb) || ${nested}))`;
}

/** Reduces the ledger events that `condition` selects (and not erased yet) to skeletons. Returns no rows. */
function eraseEvents(db: Database, condition: SQL) {
	return db
		.update(webhookEvents)
		.set({ payload: skeletonOf(sql`${webhookEvents.payload}`), rawBody: null, erasedAt: sql`now()` })
		.where(sql`${webhookEvents.erasedAt} is null and ${condition}`);
}

/**
 * Erases the personal data of every ledger event about `userId` (including the deletion's own), when
 * `onlyIf` holds. Returns no rows: erasing is not a change of the shop's data.
 */
export function erasePersonalData(db: Database, userId: string, onlyIf: SQL) {
	return eraseEvents(db, sql`${webhookEvents.subjectUserId} = ${userId} and ${onlyIf}`);
}

/**
 * Follows the ledger's insert in the same batch: when the event just recorded (this transaction's
 * row) is about a user already deleted, it becomes its skeleton at once. A separate statement keeps
 * the insert small: the subject (a subquery for Stripe) is planned once.
 */
export function eraseIfSubjectDeleted(db: Database, provider: string, eventId: string) {
	return eraseEvents(
		db,
		sql`${webhookEvents.provider} = ${provider} and ${webhookEvents.eventId} = ${eventId}
			and xmin = pg_current_xact_id()::xid
			and exists (select 1 from ${users} where ${users.id} = ${webhookEvents.subjectUserId} and ${users.deletedAt} is not null)`,
	);
}

/** The shop user of a Stripe object: the one its metadata names, else the one linked to its customer. */
export function stripeCustomerUser(userId: string | null, customerId: string | null): SQL {
	return sql`coalesce(${userId}::text, (select ${users.id} from ${users} where ${users.stripeCustomerId} = ${customerId}::text limit 1))`;
}
