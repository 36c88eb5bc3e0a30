/**
 * @module domain/notifications
 * The notifications outbox: one row per (order, kind), written in the transaction of the tracking
 * event that calls for it (src/domain/shipments.ts), sent later by a `notify` job (src/queue). A
 * replay, a second delivery event or a concurrent duplicate meets the unique (order_id, kind) and adds
 * nothing, so a customer is told once. Also the messages' templates: subject and text from the order
 * id, the carrier, the tracking number and the tracking link only, never the customer's name or
 * address. Trust boundary: the statement's values come from the database (the order's user's email)
 * or from settings (`OPS_EMAIL`); the templates read shop data, never a webhook's payload.
 */
import { getTableColumns, type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { type NotificationKind, notifications, orders, shipments, users } from "../db/schema";
import { lowerAddress } from "./email-suppressions";

/** `last_error` of a notification recorded `skipped` because it has nobody to go to. */
export const noRecipient = {
	/** the order has no user, or the user has no email (a deleted user keeps none) */
	delivered: "no_recipient",
	/** `OPS_EMAIL` is not set */
	delivery_exception: "no_ops_email",
} as const satisfies Record<NotificationKind, string>;

/**
 * `INSERT INTO notifications SELECT <values> FROM <from>`: drizzle lists every column, in the table's
 * order, so every one is given here (a missing one would be NULL, not its default), the identity `id`
 * too: the next value of its sequence, which `OVERRIDING SYSTEM VALUE` lets an insert name.
 */
function insertNotificationsFrom(
	db: Database,
	values: Partial<Record<keyof typeof notifications.$inferSelect, SQL>>,
	from: SQL,
) {
	const selected = Object.entries(getTableColumns(notifications))
		.filter(([, column]) => !(column as unknown as { shouldDisableInsert(): boolean }).shouldDisableInsert())
		.map(([key, column]) => {
			const value = values[key as keyof typeof values];
			return sql`(${value ?? sql`null`})::${sql.raw(column.getSQLType())}`;
		});
	// drizzle's insert().select() drops overridingSystemValue() (0.45): the clause leads the select instead
	return db
		.insert(notifications)
		.select(sql`overriding system value select ${sql.join(selected, sql`, `)} from ${from}`);
}

/**
 * Writes the notification that the order `orderId` (an SQL scalar, NULL for none) now calls for, when
 * `onlyIf` holds: `delivered` to the order's user's email (lower-cased) when its shipping status is
 * `delivered`, `delivery_exception` to `opsEmail` when it is `delivery_exception`. Without a recipient
 * the row is recorded `skipped` (`noRecipient`), so no job sends it. At most one per (order, kind):
 * returns `{ id, status }` of a row it inserted, none when the order needs none or already has it.
 */
export function recordNotification(db: Database, orderId: SQL, opsEmail: string | undefined, onlyIf: SQL) {
	const ops = opsEmail?.trim() ? lowerAddress(sql`${opsEmail.trim()}::text`) : sql`null::text`;
	const customer = sql`(select nullif(${lowerAddress(users.email)}, '') from ${users} where ${users.id} = ${orders.userId})`;
	const wanted = sql`(select ${orders.id} as order_id, ${orders.shippingStatus} as kind,
			case ${orders.shippingStatus} when 'delivered' then ${customer} else ${ops} end as recipient
		from ${orders}
		where ${orders.id} = ${orderId} and ${orders.shippingStatus} in ('delivered', 'delivery_exception') and ${onlyIf}) as wanted`;
	return insertNotificationsFrom(
		db,
		{
			id: sql`nextval(pg_get_serial_sequence('notifications', 'id'))`,
			kind: sql`wanted.kind`,
			orderId: sql`wanted.order_id`,
			recipient: sql`wanted.recipient`,
			status: sql`case when wanted.recipient is null then 'skipped' else 'pending' end`,
			attempts: sql`0`,
			lastError: sql`case when wanted.recipient is not null then null
				when wanted.kind = 'delivered' then ${noRecipient.delivered}::text else ${noRecipient.delivery_exception}::text end`,
			nextAttemptAt: sql`now()`,
			createdAt: sql`now()`,
		},
		wanted,
	)
		.onConflictDoNothing({ target: [notifications.orderId, notifications.kind] })
		.returning({ id: notifications.id, status: notifications.status });
}

/** A parcel as a notification shows it. */
export interface NotifiedParcel {
	carrier: string;
	trackingNumber: string;
	trackingUrl: string | null;
	/** A carrier's code for the problem (`return_to_sender`), for an exception. */
	exceptionReason: string | null;
}

/** The parcels of order `orderId` that carriers reported on (not `pending`), by shipment id. */
export function notifiedParcels(db: Database, orderId: string): Promise<NotifiedParcel[]> {
	return db
		.select({
			carrier: shipments.carrier,
			trackingNumber: shipments.trackingNumber,
			trackingUrl: shipments.trackingUrl,
			exceptionReason: sql<
				string | null
			>`case when ${shipments.status} = 'exception' then ${shipments.exceptionReason} end`,
		})
		.from(shipments)
		.where(sql`${shipments.orderId} = ${orderId} and ${shipments.status} <> 'pending'`)
		.orderBy(sql`${shipments.id} collate "C"`);
}

/** An email's subject and plain text. */
export interface NotificationMessage {
	subject: string;
	text: string;
}

const parcelLine = (parcel: NotifiedParcel) =>
	[
		`- ${parcel.carrier} ${parcel.trackingNumber}`,
		parcel.exceptionReason ? ` (${parcel.exceptionReason})` : "",
		parcel.trackingUrl ? `: ${parcel.trackingUrl}` : "",
	].join("");

/**
 * The message of a notification of `kind` about order `orderId` and its `parcels`
 * (`notifiedParcels`): the customer's "delivered", or the operator's "delivery problem".
 */
export function notificationMessage(
	kind: NotificationKind,
	orderId: string,
	parcels: NotifiedParcel[],
): NotificationMessage {
	const lines = parcels.map(parcelLine);
	if (kind === "delivered")
		return {
			subject: `Your order ${orderId} has been delivered`,
			text: [
				`Your order ${orderId} has been delivered.`,
				...(lines.length > 0 ? ["", parcels.length > 1 ? "Your parcels:" : "Your parcel:", ...lines] : []),
				"",
				"Thank you for shopping with us.",
			].join("\n"),
		};
	return {
		subject: `Delivery problem: order ${orderId}`,
		text: [
			`A carrier reported a delivery problem with order ${orderId}.`,
			...(lines.length > 0 ? ["", "Parcels:", ...lines] : []),
			"",
			"Check the parcel with the carrier and contact the customer if needed.",
		].join("\n"),
	};
}
