/**
 * @module domain/shipments
 * What a carrier's tracking update does to the shop, in the event's one transaction: the shipment it
 * is about, that shipment's order, and the notification outbox (src/domain/notifications.ts). Every
 * column is a function of the set of updates received, never of their order (ties included), and a
 * repeated update changes nothing.
 * - A shipment keeps the status, detail, checkpoint, estimated delivery, exception reason and the
 *   `status_event_*` key of the update with the greatest key: (delivered first, carrier time, status
 *   rank in_transit < exception < delivered, the ledger's key of the event under `COLLATE "C"`: the
 *   provider's id, or the digest webhooks/apply.ts keys it by when there is none or it is too long, so
 *   that two updates never tie). A delivery is final: a late in-transit or exception never undoes it;
 *   otherwise the carrier's latest time wins, so an exception can be followed by a delivery or by
 *   movement again. `last_event_at` is the latest carrier time of all, `delivered_at` the earliest
 *   delivery's, `tracking_url` the least (`COLLATE "C"`) link any update or the shop gave (providers
 *   give one link per parcel: any rule that keeps one regardless of order would do).
 * - The order's `shipping_status` follows its shipments that moved (not `pending`): none, NULL; any
 *   exception, `delivery_exception`; every shipment of the order delivered, `delivered`; else
 *   `shipped`. A trigger derives it after every change of a shipment's status or order (migration
 *   0011, `order_shipping_status`), the shop's own (a parcel added after its sibling's delivery makes
 *   the order `shipped` again) as well as an update's. `orders.status` is generated from it and
 *   `payment_status` (src/db/schema.ts): a cancelled, refunded or charged-back order keeps showing its
 *   money state. Its parcels are still tracked and a delivery is still told to the customer: the
 *   parcel did arrive, whatever happened to the money, and the shop may want the goods back.
 * - The outbox gets one `delivered` notification (to the order's user) when the order becomes
 *   delivered, one `delivery_exception` (to `OPS_EMAIL`) when it shows a delivery problem: written
 *   only by a new update that leaves the order so, at most once per (order, kind). Whether an operator
 *   heard of an exception that a delivery later overtook depends on what arrived first: a message,
 *   unlike a column, cannot be taken back.
 * - The order row is locked (`SELECT … FOR UPDATE`) before its shipment changes, so concurrent updates
 *   about two shipments of one order run one after the other and the second sees the first's
 *   shipment when the trigger derives the order's status. The shop's own change of a shipment locks
 *   the order after the shipment (in the trigger): against a concurrent update of the same order
 *   one of the two may fail as a deadlock, a transient failure (answered 503 or retried, as for any).
 * An update finds its shipment by tracking number among the shipments the shop recorded
 * (`created_at <= now()`), both compared as `trackingKey` (ASCII upper case, letters and digits only:
 * the shop's `1z 999 aa1` is the carrier's `1Z999AA1`; an index serves it), preferring one whose
 * carrier matches (`carrierKey`), then one recorded for this provider or for any, then one whose number
 * is written exactly as the carrier's, then the least id. An update for a tracking number the shop has
 * not recorded is `deferred` and tried again later (src/ledger.ts).
 * Trust boundary: the updates come verified and normalised (src/domain/tracking-event.ts).
 */
import { type SQL, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Database } from "../db/client";
import { orders, shipments, trackingKeyOf } from "../db/schema";
import { logCode } from "../log";
import type { Job } from "../queue/jobs";
import { type Alert, type Change, type Interpretation, setting } from "../webhooks/provider";
import { recordNotification } from "./notifications";
import { instant, text } from "./order-update";
import { type PackageStatus, packageEventType, type TrackingEvent } from "./tracking-event";

/**
 * A carrier's name as shipments are matched by it: ASCII lower case, letters and digits only
 * (`FedEx` = `fedex`, `DHLExpress` = `dhl_express`, `UPS Mail Innovations` = `ups-mail-innovations`).
 */
export function carrierKey(carrier: string | null): string | null {
	return carrier?.toLowerCase().replace(/[^a-z0-9]/g, "") || null;
}

/** `carrierKey` in SQL (lower-casing ASCII only, whatever the server's locale). */
const carrierKeyOf = (carrier: SQL | PgColumn) =>
	sql`regexp_replace(lower(${carrier} collate "C"), '[^a-z0-9]', '', 'g')`;

/**
 * A tracking number as shipments are matched by it: ASCII upper case, letters and digits only
 * (`1z 999-aa1` = `1Z999AA1`); src/db/schema.ts `trackingKeyOf` is the same in SQL.
 */
export function trackingKey(trackingNumber: string): string {
	return trackingNumber.replace(/[^A-Za-z0-9]/g, "").toUpperCase();
}

/**
 * The id of the shipment `event` is about, or NULL: an SQL scalar that every statement of the batch
 * uses (module header: how it is chosen). A tracking number without a letter or a digit matches none.
 */
export function matchedShipmentId(provider: string, event: TrackingEvent): SQL {
	const key = trackingKey(event.trackingNumber);
	if (key === "") return sql`(null::text)`;
	return sql`(select candidate.id from ${shipments} as candidate
		where ${trackingKeyOf(sql`candidate.tracking_number`)} = ${key}::text collate "C" and candidate.created_at <= now()
		order by coalesce(${carrierKeyOf(sql`candidate.carrier`)} = ${carrierKey(event.carrier)}::text, false) desc,
			coalesce(candidate.provider = ${provider}::text, true) desc,
			candidate.tracking_number = ${event.trackingNumber.trim()}::text desc,
			candidate.id collate "C"
		limit 1)`;
}

/** The order of the matched shipment, or NULL. */
const orderOf = (shipmentId: SQL) =>
	sql`(select owner.order_id from ${shipments} as owner where owner.id = ${shipmentId})`;

/** A status's rank in the key (pending below every update). */
const statusRank = (status: SQL | PgColumn) =>
	sql`(case ${status} when 'in_transit' then 1 when 'exception' then 2 when 'delivered' then 3 else 0 end)`;

/** An update's precedence (module header): delivered first, then carrier time, status rank, event key. */
function updateKey(status: SQL | PgColumn, at: SQL | PgColumn, eventId: SQL | PgColumn): SQL {
	return sql`row(${status} = 'delivered', ${at}, ${statusRank(status)}, ${eventId} collate "C")`;
}

/**
 * Updates the matched shipment with `event`, whose ledger key is `eventKey` (module header), when
 * `onlyIf` holds and something changes; returns `{ id }` then, no row otherwise.
 */
function updateShipment(db: Database, shipmentId: SQL, event: TrackingEvent, eventKey: string, onlyIf: SQL) {
	const status = sql`${event.status}::text`;
	const at = instant(event.occurredAt);
	const eventId = text(eventKey);
	const wins = sql`(${shipments.statusEventId} is null or ${updateKey(status, at, eventId)} > ${updateKey(shipments.status, shipments.statusEventAt, shipments.statusEventId)})`;
	const pick = (value: SQL, column: PgColumn) => sql`case when ${wins} then ${value} else ${column} end`;
	const url = text(event.trackingUrl);
	const next: Partial<Record<keyof typeof shipments.$inferSelect, SQL>> = {
		status: pick(status, shipments.status),
		statusDetail: pick(text(event.statusDetail), shipments.statusDetail),
		lastCheckpoint: pick(
			sql`${event.checkpoint ? JSON.stringify(event.checkpoint) : null}::jsonb`,
			shipments.lastCheckpoint,
		),
		estimatedDeliveryAt: pick(
			event.estimatedDeliveryAt ? instant(event.estimatedDeliveryAt) : sql`null::timestamptz`,
			shipments.estimatedDeliveryAt,
		),
		exceptionReason: pick(text(event.status === "exception" ? event.exceptionReason : null), shipments.exceptionReason),
		trackingUrl: sql`case when ${url} is null then ${shipments.trackingUrl}
			when ${shipments.trackingUrl} is null then ${url}
			else least(${shipments.trackingUrl} collate "C", ${url}) end`,
		lastEventAt: sql`greatest(${shipments.lastEventAt}, ${at})`,
		deliveredAt:
			event.status === "delivered" ? sql`least(${shipments.deliveredAt}, ${at})` : sql`${shipments.deliveredAt}`,
		statusEventAt: pick(at, shipments.statusEventAt),
		statusEventId: pick(eventId, shipments.statusEventId),
	};
	const columns = Object.keys(next).map((key) => shipments[key as keyof typeof next] as PgColumn);
	const values = Object.values(next) as SQL[];
	const changes = sql`row(${sql.join(columns, sql`, `)}) is distinct from row(${sql.join(values, sql`, `)})`;
	return db
		.update(shipments)
		.set(next)
		.where(sql`${shipments.id} = ${shipmentId} and ${onlyIf} and ${changes}`)
		.returning({ id: shipments.id });
}

/**
 * Locks the order (module header: why) before its shipment changes; the shipment's trigger then
 * derives the order's `shipping_status` (migration 0011). `db.execute` returns no row list, so the
 * pipeline does not count it as a change: an update is `applied` when its shipment changed (the
 * order's status changes only with one of its shipments).
 */
function lockOrder(db: Database, orderId: SQL, onlyIf: SQL) {
	return db.execute(sql`select ${orders.id} from ${orders} where ${orders.id} = ${orderId} and ${onlyIf} for update`);
}

/** The statements' positions in `changes` (followUps reads the outbox insert's rows). */
const NOTIFICATION = 2;

/** The `notify` jobs of the notifications an update wrote (`skipped` ones have nobody to go to). */
export function notifyJobs(changed: unknown[][]): Job[] {
	const inserted = changed[NOTIFICATION];
	if (!Array.isArray(inserted)) return [];
	return (inserted as { id: number; status: string }[])
		.filter((row) => row.status === "pending")
		.map((row) => ({ kind: "notify", notificationId: Number(row.id) }));
}

/**
 * The `delivery_exception` alert (an operator should look at the parcel): raised at `warn` when this
 * update left its shipment in `exception`, with the order, shipment and carrier ids and the carrier's
 * reason when they are code-shaped (never free text: it could hold an address).
 */
function exceptionAlert(event: TrackingEvent, shipmentId: SQL): Alert {
	return {
		name: "delivery_exception",
		level: "warn",
		fields: {
			carrier: carrierKey(event.carrier),
			exception_reason: logCode("id", event.exceptionReason),
		},
		onlyIfFound: true,
		// this update's values are the shipment's: its ledger key is the stored one
		lookup: (db, isNew, eventKey) =>
			db
				.select({ order_id: shipments.orderId, shipment_id: shipments.id })
				.from(shipments)
				.where(
					sql`${shipments.id} = ${shipmentId} and ${shipments.status} = 'exception'
						and ${shipments.statusEventId} = ${eventKey}::text and ${isNew}`,
				),
	};
}

/**
 * What a normalised tracking update does, as the pipeline's interpretation: the shipment's, its
 * order's and the notification outbox's changes, in the event's one transaction. An update for a
 * tracking number the shop has not recorded is `deferred` and retried later (webhooks/provider.ts).
 * `provider` is the ledger's provider name; `env` gives `OPS_EMAIL`.
 */
export function trackingInterpretation(provider: string, event: TrackingEvent, env: Env): Interpretation {
	const shipmentId = matchedShipmentId(provider, event);
	const orderId = orderOf(shipmentId);
	const opsEmail = setting(env, "OPS_EMAIL");
	const status: PackageStatus = event.status;
	return {
		kind: "apply",
		eventId: event.eventId,
		eventType: packageEventType(status),
		// the carrier's payload may name the recipient: it leaves the ledger with the order's user
		subjectUserId: sql`(select ${orders.userId} from ${orders} where ${orders.id} = ${orderId})`,
		target: sql`${shipmentId} is not null`,
		whenUnmatched: "defer",
		changes: (db, isNew, eventKey): [Change, ...Change[]] => [
			lockOrder(db, orderId, isNew),
			updateShipment(db, shipmentId, event, eventKey, isNew),
			recordNotification(db, orderId, opsEmail, isNew),
		],
		followUps: notifyJobs,
		...(status === "exception" ? { alert: exceptionAlert(event, shipmentId) } : {}),
	};
}
