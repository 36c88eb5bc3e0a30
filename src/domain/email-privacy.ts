/**
 * @module domain/email-privacy
 * Personal data leaves with the user (src/privacy.ts), email messages included: when a user is
 * deleted, the messages sent to them keep their ids, times, counts and status (the analytics) but lose
 * `recipient` and `subject`, and `erased_at` is set; an event arriving later never fills them again
 * (src/domain/emails.ts), nor does one that names an already deleted user in its metadata.
 *
 * `email_suppressions` is kept: an address that bounced or complained must stay unmailed after its
 * user is gone (were it erased, a new account or a stale list could mail it again). A suppression holds
 * the address, why, which provider and when: nothing that names the user.
 */
import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { emailMessages, users } from "../db/schema";
import { lowerAddress } from "./email-suppressions";

/**
 * Erases `recipient` and `subject` of the messages of `userId`: those whose metadata named them, and
 * those sent to their primary email as stored when this runs. So it must come before the tombstone in
 * the `user.deleted` batch (which erases the email). Changes nothing unless `onlyIf` holds; returns
 * no rows (erasing is not a change of the shop's data).
 */
export function eraseEmailPersonalData(db: Database, userId: string, onlyIf: SQL) {
	const email = sql`(select ${lowerAddress(users.email)} from ${users} where ${users.id} = ${userId})`;
	return (
		db
			.update(emailMessages)
			// the user's id stays (unless the message names a user already): a later event about this
			// message is about them, and is erased in turn
			.set({
				recipient: null,
				subject: null,
				userId: sql`coalesce(${emailMessages.userId}, ${userId}::text)`,
				erasedAt: sql`now()`,
			})
			.where(
				sql`${emailMessages.erasedAt} is null and (${emailMessages.userId} = ${userId} or ${emailMessages.recipient} = ${email}) and ${onlyIf}`,
			)
	);
}
