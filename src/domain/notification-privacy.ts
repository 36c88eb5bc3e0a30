/**
 * @module domain/notification-privacy
 * Personal data leaves with the user (src/privacy.ts), the notifications outbox included: when a user
 * is deleted, the customer notifications of their orders keep their kind, order, status and times but
 * lose `recipient`; one not sent yet is `skipped` (`recipient_erased`), so no job mails the deleted
 * user afterwards. Notifications to the shop's operator (`delivery_exception`, to `OPS_EMAIL`) hold no
 * address of the user and are kept. A notification written later for their orders finds no email on
 * the tombstone and is `skipped` from the start (src/domain/notifications.ts).
 */
import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { notifications, orders } from "../db/schema";

/** `last_error` of a pending notification whose recipient was erased with their user. */
export const recipientErased = "recipient_erased";

/**
 * Erases `recipient` of the `delivered` notifications of `userId`'s orders (a pending one becomes
 * `skipped`), when `onlyIf` holds. Returns no rows: erasing is not a change of the shop's data.
 */
export function eraseNotificationRecipients(db: Database, userId: string, onlyIf: SQL) {
	return db
		.update(notifications)
		.set({
			recipient: null,
			status: sql`case when ${notifications.status} = 'pending' then 'skipped' else ${notifications.status} end`,
			lastError: sql`case when ${notifications.status} = 'pending' then ${recipientErased}::text else ${notifications.lastError} end`,
		})
		.where(
			sql`${notifications.kind} = 'delivered' and ${notifications.recipient} is not null
				and ${notifications.orderId} in (select ${orders.id} from ${orders} where ${orders.userId} = ${userId})
				and ${onlyIf}`,
		);
}
