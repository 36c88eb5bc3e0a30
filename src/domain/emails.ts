/**
 * @module domain/emails
 * Email delivery events (src/domain/email-events.ts), normalised across providers, applied to
 * `email_messages`, `email_suppressions` and `users.email_status`. Every column is a function of the
 * set of events received, never of their order (events of the same instant included), and an event
 * received twice changes nothing (the pipeline's `onlyIf`):
 * - a message's facts: `sent_at`, `delayed_at`, `delivered_at`, `complained_at`, `failed_at`,
 *   `first_opened_at`, `first_event_at` the earliest event of their kind, `last_opened_at` and
 *   `last_event_at` the latest; `open_count`, `click_count` and `soft_bounce_count` count events
 *   (each new event once); `bounce_type` is `hard` when any bounce was hard, and `bounced_at` the
 *   earliest bounce of that type; `recipient`, `subject`, `order_id` and `user_id` the least value
 *   (under `COLLATE "C"`) any event gave. `status` is derived from these facts by the database
 *   (src/db/schema.ts `email_messages.status`): the highest of sent < delayed < bounced (soft) <
 *   delivered < opened < clicked < failed < complained < bounced (hard);
 * - a hard bounce or a complaint suppresses its recipient's address and marks the users who have it
 *   (src/domain/email-suppressions.ts); a soft bounce is counted, nothing more;
 * - the personal columns (`recipient`, `subject`) leave with the user (src/domain/email-privacy.ts):
 *   once `erased_at` is set no event fills them again, and an event naming a deleted user stores none.
 * `applyEmailEvent` returns one statement per event, two when it suppresses an address; each changes
 * nothing unless `onlyIf` holds and returns a row only when it changed something. They are separate
 * statements, so a batch may hold any number of events about one message.
 */
import { type SQL, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Database } from "../db/client";
import { insertIf, proposed } from "../db/insert-if";
import { emailMessages, users } from "../db/schema";
import type { Change } from "../webhooks/provider";
import type { EmailEvent, EmailEventKind } from "./email-events";
import { address, bounceTypeOf, given, lowerAddress, suppressAddress, suppressionReasonOf } from "./email-suppressions";
import { instant } from "./order-update";

type MessageColumn = keyof typeof emailMessages.$inferSelect;
const least = (column: PgColumn) => sql`least(${column}, ${proposed(column)})`;
const greatest = (column: PgColumn) => sql`greatest(${column}, ${proposed(column)})`;
const sum = (column: PgColumn) => sql`${column} + ${proposed(column)}`;
/** Erased with the user: stays NULL once `erased_at` is set, else the least value any event gave. */
const personal = (column: PgColumn) =>
	sql`case when coalesce(${emailMessages.erasedAt}, ${proposed(emailMessages.erasedAt)}) is not null then null
		else least(${column} collate "C", ${proposed(column)}) end`;

const { bounceType, bouncedAt } = emailMessages;
/** How each stored fact and the proposed one merge (see the module header). */
const merge: Partial<Record<MessageColumn, SQL>> = {
	recipient: personal(emailMessages.recipient),
	subject: personal(emailMessages.subject),
	orderId: sql`least(${emailMessages.orderId} collate "C", ${proposed(emailMessages.orderId)})`,
	userId: sql`least(${emailMessages.userId} collate "C", ${proposed(emailMessages.userId)})`,
	sentAt: least(emailMessages.sentAt),
	delayedAt: least(emailMessages.delayedAt),
	deliveredAt: least(emailMessages.deliveredAt),
	bouncedAt: sql`case
		when ${bounceType} is null or (${proposed(bounceType)} = 'hard' and ${bounceType} = 'soft') then ${proposed(bouncedAt)}
		when ${proposed(bounceType)} = ${bounceType} then least(${bouncedAt}, ${proposed(bouncedAt)})
		else ${bouncedAt} end`,
	bounceType: sql`case when ${bounceType} = 'hard' or ${proposed(bounceType)} = 'hard' then 'hard' else 'soft' end`,
	softBounceCount: sum(emailMessages.softBounceCount),
	complainedAt: least(emailMessages.complainedAt),
	failedAt: least(emailMessages.failedAt),
	firstOpenedAt: least(emailMessages.firstOpenedAt),
	lastOpenedAt: greatest(emailMessages.lastOpenedAt),
	openCount: sum(emailMessages.openCount),
	clickCount: sum(emailMessages.clickCount),
	firstEventAt: least(emailMessages.firstEventAt),
	lastEventAt: greatest(emailMessages.lastEventAt),
	erasedAt: sql`coalesce(${emailMessages.erasedAt}, ${proposed(emailMessages.erasedAt)})`,
};

/**
 * `ON CONFLICT DO UPDATE` merging only the facts this event carries (merging a NULL or a 0 changes
 * nothing: a smaller statement, planned faster), and only when something would change: a no-op
 * returns no row.
 */
function mergeInto(row: Partial<Record<MessageColumn, unknown>>, mayErase: boolean) {
	const keys = (Object.keys(merge) as MessageColumn[]).filter((key) => {
		if (mayErase && (key === "recipient" || key === "subject" || key === "erasedAt")) return true;
		const value = row[key];
		return value !== null && value !== undefined && value !== 0;
	});
	const set = Object.fromEntries(keys.map((key) => [key, merge[key]])) as Partial<Record<MessageColumn, SQL>>;
	const columns = keys.map((key) => emailMessages[key] as PgColumn);
	const values = keys.map((key) => merge[key] as SQL);
	return {
		target: [emailMessages.provider, emailMessages.providerMessageId],
		set,
		setWhere: sql`row(${sql.join(columns, sql`, `)}) is distinct from row(${sql.join(values, sql`, `)})`,
	};
}

/** True when the event names a user who is deleted: the message then keeps no personal data. */
function aboutDeletedUser(userId: string | null): SQL {
	if (userId === null) return sql`false`;
	return sql`exists (select 1 from ${users} where ${users.id} = ${userId} and ${users.deletedAt} is not null)`;
}

/** Creates the message with this event's facts, or merges them into the stored ones. */
function upsertMessage(db: Database, provider: string, event: EmailEvent, kind: EmailEventKind, onlyIf: SQL) {
	const when = instant(event.at);
	const only = (k: EmailEventKind) => (kind === k ? when : null);
	const recipient = given(event.recipient);
	const subject = given(event.subject);
	const userId = given(event.userId);
	const deleted = aboutDeletedUser(userId);
	const type = bounceTypeOf(event);
	const row = {
		id: sql`nextval(pg_get_serial_sequence('email_messages', 'id'))`,
		provider,
		providerMessageId: event.messageId,
		recipient: recipient === null ? null : sql`case when ${deleted} then null else ${address(recipient)} end`,
		subject: subject === null ? null : sql`case when ${deleted} then null else ${subject}::text end`,
		orderId: given(event.orderId),
		userId,
		sentAt: only("sent"),
		delayedAt: only("delayed"),
		deliveredAt: only("delivered"),
		bouncedAt: only("bounced"),
		bounceType: type,
		softBounceCount: type === "soft" ? 1 : 0,
		complainedAt: only("complained"),
		failedAt: only("failed"),
		firstOpenedAt: only("opened"),
		lastOpenedAt: only("opened"),
		openCount: kind === "opened" ? 1 : 0,
		clickCount: kind === "clicked" ? 1 : 0,
		firstEventAt: when,
		lastEventAt: when,
		erasedAt: userId === null ? null : sql`case when ${deleted} then now() end`,
	};
	return insertIf(db, emailMessages, row, onlyIf)
		.onConflictDoUpdate(mergeInto(row, userId !== null))
		.returning({ id: emailMessages.id });
}

/**
 * The statements that apply one email event from `provider` (the ledger's provider name): the
 * message's upsert, then the suppression of its recipient for a hard bounce or a complaint. An event
 * of a kind we do not handle (`kind` null) has none.
 */
export function applyEmailEvent(
	db: Database,
	provider: string,
	event: EmailEvent & { kind: EmailEventKind },
	onlyIf: SQL,
): [Change, ...Change[]];
export function applyEmailEvent(db: Database, provider: string, event: EmailEvent, onlyIf: SQL): Change[];
export function applyEmailEvent(db: Database, provider: string, event: EmailEvent, onlyIf: SQL): Change[] {
	if (event.kind === null) return [];
	const changes: Change[] = [upsertMessage(db, provider, event, event.kind, onlyIf)];
	const reason = suppressionReasonOf(event);
	const recipient = given(event.recipient);
	if (reason !== null && recipient !== null)
		changes.push(suppressAddress(db, provider, event, recipient, reason, onlyIf));
	return changes;
}

/**
 * The shop user an email event is about, for the ledger's `subject_user_id` (src/privacy.ts): the
 * user its metadata names, else the user whose primary email is the recipient (the least id, should
 * several share it), else the deleted user whose erasure reached this message (email-privacy.ts).
 */
export function emailEventSubject(provider: string, event: EmailEvent): string | SQL | undefined {
	const userId = given(event.userId);
	if (userId !== null) return userId;
	const recipient = given(event.recipient);
	// a message erased with its user keeps the user's id (email-privacy.ts): its late events are about them
	const erasedWith = sql`(select ${emailMessages.userId} from ${emailMessages}
		where ${emailMessages.provider} = ${provider} and ${emailMessages.providerMessageId} = ${event.messageId}
		and ${emailMessages.erasedAt} is not null)`;
	if (recipient === null) return erasedWith;
	return sql`coalesce((select ${users.id} from ${users} where ${lowerAddress(users.email)} = ${address(recipient)}
		order by ${users.id} collate "C" limit 1), ${erasedWith})`;
}
