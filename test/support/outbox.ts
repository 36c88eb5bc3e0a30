/**
 * Test helper for the notification outbox and deferred events, as the queue tests set them up: a
 * customer with an order and a shipment, an outbox row (written directly, as a tracking event's
 * transaction writes it), and the rows a user would check afterwards (the notification, the
 * email_messages row of what was sent, the ledger row of a deferred event).
 */
import { and, eq, type SQL, sql } from "drizzle-orm";
import {
	emailMessages,
	emailSuppressions,
	type NotificationKind,
	notifications,
	orders,
	shipments,
	users,
} from "../../src/db/schema";
import { uniqueId } from "./clerk";
import { testDb } from "./rows";

/** A user with an email (mixed case, as Clerk may give it) and a paid order of theirs. */
export async function customerOrder() {
	const userId = uniqueId("user");
	const email = `${uniqueId("Ada").toLowerCase()}@Example.org`;
	const orderId = uniqueId("ord");
	await testDb().insert(users).values({ id: userId, email });
	await testDb()
		.insert(orders)
		.values({ id: orderId, userId, amountTotal: 4999, currency: "usd", paymentStatus: "paid" });
	return { userId, email, recipient: email.toLowerCase(), orderId };
}

/** A shipment of `orderId` (a fresh tracking number unless given). */
export async function shipmentOf(orderId: string, extra: Partial<typeof shipments.$inferInsert> = {}) {
	const row = {
		id: uniqueId("ship"),
		orderId,
		carrier: "USPS",
		trackingNumber: uniqueId("9400").toUpperCase(),
		...extra,
	};
	await testDb().insert(shipments).values(row);
	return row;
}

/** An outbox row, `pending` and due now unless told otherwise (a value may be SQL: `now() - …`); returns its id. */
export async function pendingNotification(
	orderId: string,
	recipient: string | null,
	extra: { [K in keyof typeof notifications.$inferInsert]?: (typeof notifications.$inferInsert)[K] | SQL } = {},
): Promise<number> {
	const [row] = await testDb()
		.insert(notifications)
		.values({ kind: "delivered" as NotificationKind, orderId, recipient, status: "pending", ...extra })
		.returning({ id: notifications.id });
	return (row as { id: number }).id;
}

export async function notificationRow(id: number) {
	const [row] = await testDb().select().from(notifications).where(eq(notifications.id, id));
	if (!row) throw new Error(`no notification ${id}`);
	return row;
}

/** Seconds from the database's now() to the notification's next_attempt_at. */
export async function secondsUntilNextAttempt(id: number): Promise<number> {
	const [row] = await testDb()
		.select({ s: sql<number>`extract(epoch from ${notifications.nextAttemptAt} - now())::float8` })
		.from(notifications)
		.where(eq(notifications.id, id));
	return Number(row?.s);
}

/** Moves a notification's next attempt to now, as if its delay had passed. */
export function dueNow(id: number) {
	return testDb().update(notifications).set({ nextAttemptAt: sql`now()` }).where(eq(notifications.id, id));
}

/** The email_messages row of Resend's message `messageId`. */
export async function resendMessage(messageId: string) {
	const [row] = await testDb()
		.select()
		.from(emailMessages)
		.where(and(eq(emailMessages.provider, "resend"), eq(emailMessages.providerMessageId, messageId)));
	return row;
}

/** Suppresses `address` (lower-cased), as a hard bounce would have. */
export function suppress(address: string) {
	const now = new Date();
	return testDb()
		.insert(emailSuppressions)
		.values({
			address: address.toLowerCase(),
			reason: "hard_bounce",
			provider: "resend",
			firstAt: now,
			lastAt: now,
			reasonEventAt: now,
			reasonEventId: uniqueId("msg"),
		});
}
