/**
 * @module domain/email-suppressions
 * Addresses never to mail again (`email_suppressions`), and what they say about users
 * (`users.email_status`). A hard bounce or a complaint suppresses its recipient's address; a soft
 * bounce does not (src/domain/emails.ts counts it on the message). Every column is a function of the
 * set of events received: `reason` is `hard_bounce` when any hard bounce was reported (it wins over a
 * complaint: the address no longer exists), else `complaint`; `provider` (with `reason_event_at`,
 * `reason_event_id`) comes from that reason's earliest event, ties going to the least provider, then
 * the least event id under `COLLATE "C"`; `first_at` and `last_at` are the earliest and latest of all.
 * Users whose primary email is the address (compared lower-cased) get `email_status` `invalid` (hard
 * bounce) or `complained` in the same statement; the trigger `users_email_status` (migration 0007)
 * derives it again whenever a user's email is written, so it never depends on whether the Clerk event
 * or the email event came first.
 */
import { type SQL, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Database } from "../db/client";
import { insertIf, proposed } from "../db/insert-if";
import { emailSuppressions, type SuppressionReason, type UserEmailStatus, users } from "../db/schema";
import type { EmailEvent } from "./email-events";
import { instant } from "./order-update";

/** The user status a suppression reason gives (the migration's trigger holds the same mapping). */
export const userEmailStatusFor: Record<SuppressionReason, UserEmailStatus> = {
	hard_bounce: "invalid",
	complaint: "complained",
};
/** The reason that wins when an address has both: a hard bounce (the address no longer exists). */
const reasonRank = (reason: SQL | PgColumn) => sql`(case ${reason} when 'hard_bounce' then 2 else 1 end)`;

/**
 * An address lower-cased by Postgres, as addresses are stored and `users.email` is compared (the
 * expression of the index `users_email_lower_idx`): ASCII letters only, whatever the server's locale
 * (a Turkish one would turn `I` into `ı`), then back in the default collation, so that comparing it
 * with a stored address can use that column's index.
 */
export const lowerAddress = (value: SQL | PgColumn) => sql`(lower(${value} collate "C") collate "default")`;
export const address = (recipient: string) => lowerAddress(sql`${recipient.trim()}::text`);
export const given = (value: string | null) => (value === null || value.trim() === "" ? null : value);

/** A bounce of unknown type is hard: a bounce is permanent unless the provider says it is temporary. */
export function bounceTypeOf(event: EmailEvent) {
	return event.kind === "bounced" ? (event.bounceType ?? "hard") : null;
}

/** Why this event suppresses its recipient's address, if it does. */
export function suppressionReasonOf(event: EmailEvent): SuppressionReason | null {
	if (given(event.recipient) === null) return null;
	if (event.kind === "complained") return "complaint";
	return bounceTypeOf(event) === "hard" ? "hard_bounce" : null;
}

const S = emailSuppressions;
/** The proposed event states the suppression's reason (and provider) rather than the stored one. */
const reasonWins = sql`(${reasonRank(proposed(S.reason))} > ${reasonRank(S.reason)}
	or (${reasonRank(proposed(S.reason))} = ${reasonRank(S.reason)}
		and (${proposed(S.reasonEventAt)}, ${proposed(S.provider)} collate "C", ${proposed(S.reasonEventId)} collate "C")
			< (${S.reasonEventAt}, ${S.provider}, ${S.reasonEventId})))`;
const chosen = (column: PgColumn) => sql`case when ${reasonWins} then ${proposed(column)} else ${column} end`;
const suppressionMerge: Partial<Record<keyof typeof S.$inferSelect, SQL>> = {
	reason: chosen(S.reason),
	provider: chosen(S.provider),
	reasonEventAt: chosen(S.reasonEventAt),
	reasonEventId: chosen(S.reasonEventId),
	firstAt: sql`least(${S.firstAt}, ${proposed(S.firstAt)})`,
	lastAt: sql`greatest(${S.lastAt}, ${proposed(S.lastAt)})`,
};
const suppressionColumns = Object.keys(suppressionMerge).map((key) => S[key as keyof typeof S.$inferSelect]);

/** `email_status` for a suppression reason, as SQL. */
function statusFor(reason: SQL): SQL {
	const whens = Object.entries(userEmailStatusFor).map(([r, s]) => sql.raw(`when '${r}' then '${s}'`));
	return sql`(case ${reason} ${sql.join(whens, sql` `)} end)`;
}

/**
 * Suppresses the address (or merges this event into its suppression) and, when that changed the
 * suppression, sets `email_status` on the users whose primary email it is: one statement, returning
 * the address when the suppression changed.
 */
export function suppressAddress(
	db: Database,
	provider: string,
	event: EmailEvent,
	recipient: string,
	reason: SuppressionReason,
	onlyIf: SQL,
) {
	const when = instant(event.at);
	const upsert = insertIf(
		db,
		S,
		{
			address: address(recipient),
			reason,
			provider,
			firstAt: when,
			lastAt: when,
			reasonEventAt: when,
			reasonEventId: event.eventId,
		},
		onlyIf,
	)
		.onConflictDoUpdate({
			target: S.address,
			set: suppressionMerge,
			setWhere: sql`row(${sql.join(suppressionColumns, sql`, `)}) is distinct from row(${sql.join(Object.values(suppressionMerge) as SQL[], sql`, `)})`,
		})
		.returning({ address: S.address, reason: S.reason });
	const changed = db.$with("suppressed", { address: S.address, reason: S.reason }).as(upsert.getSQL());
	const status = statusFor(sql`"suppressed"."reason"`);
	const marked = db.$with("marked", { id: users.id }).as(
		sql`update ${users} set "email_status" = ${status} from "suppressed"
				where ${lowerAddress(users.email)} = "suppressed"."address" and ${users.emailStatus} is distinct from ${status}
				returning ${users.id}`,
	);
	return db.with(changed, marked).select({ address: changed.address }).from(changed);
}
