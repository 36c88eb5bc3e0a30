/**
 * @module providers/easypost/events
 * EasyPost's webhook body read into a normalised tracking update (src/domain/tracking-event.ts). Pure.
 *
 * Protocol facts, and where they come from:
 * - The body is an Event (https://docs.easypost.com/docs/events): `id` (`evt_…`, the ledger's key),
 *   `description` (`tracker.created`, `tracker.updated`, `batch.updated`, …), `mode` (`test` events
 *   come from test API keys: processed like the others), `result` (the object the event is about).
 * - A tracker event's `result` is a Tracker (https://docs.easypost.com/docs/trackers): `tracking_code`,
 *   `carrier` (`FedEx`, `UPS`, `USPS`…), `status`, `status_detail`, `updated_at`, `est_delivery_date`,
 *   `public_url` and `tracking_details[]`: `{datetime, message, description, status, tracking_location
 *   {city, state, country, zip}}`. Statuses: `unknown`, `pre_transit`, `in_transit`, `out_for_delivery`,
 *   `available_for_pickup`, `delivered`, `return_to_sender`, `failure`, `cancelled`, `error`.
 *
 * | EasyPost `result.status`                                    | normalised                         |
 * | ----------------------------------------------------------- | ---------------------------------- |
 * | `in_transit`, `out_for_delivery`, `available_for_pickup`    | in_transit                         |
 * | `delivered`                                                 | delivered                          |
 * | `return_to_sender`, `failure`, `error`, `cancelled`         | exception                          |
 * | `pre_transit`                                               | ignored, `package.pre_transit`     |
 * | `unknown`, any status EasyPost adds later                   | ignored, `package.unknown`         |
 *
 * The update's time is the latest tracking detail's `datetime` (the carrier's scan), else the
 * tracker's `updated_at`; with neither, the update is `failed`. The checkpoint is that latest detail
 * (its location `city, state, country`; the postcode is left out). Status detail: `status_detail`;
 * an exception's reason: `status_detail`, else the status. Events of another `description` are
 * recorded `ignored` under their own type.
 */
import * as z from "zod/mini";
import type { TrackingEvent } from "../../domain/tracking-event";
import { asStorableId, storableId } from "../../validation";
import {
	carrierInstant,
	checkpointAt,
	estimatedInstant,
	field,
	ignored,
	items,
	latest,
	meaningOf,
	noChangeEventType,
	noTime,
	place,
	refused,
	statusCode,
	statusTable,
	type TrackingReading,
	text,
	UNKNOWN_TYPE,
	unreadable,
	webUrl,
} from "../shipping-reading";

/** The event kinds that carry a Tracker. */
const trackerEvents = new Set(["tracker.created", "tracker.updated"]);

export const easypostStatuses = statusTable({
	in_transit: ["in_transit", "out_for_delivery", "available_for_pickup"],
	delivered: ["delivered"],
	exception: ["return_to_sender", "failure", "error", "cancelled"],
	pre_transit: ["pre_transit"],
	unknown: ["unknown"],
});

const easypostType = z.object({ description: statusCode });
const trackerStatus = z.object({ result: z.object({ status: statusCode }) });
const trackerEvent = z.object({
	id: storableId,
	result: z.object({
		tracking_code: storableId,
		carrier: z.nullish(storableId),
	}),
});

/** The tracking update a verified EasyPost body holds, or why it holds none. */
export function readTrackingEvent(payload: unknown): TrackingReading {
	const eventId = asStorableId(field(payload, "id"));
	const typed = easypostType.safeParse(payload);
	if (!typed.success) return unreadable(eventId, UNKNOWN_TYPE, typed.error);
	const type = typed.data.description;
	if (!trackerEvents.has(type)) return ignored(eventId, type, "not_a_tracker_event");

	const stated = trackerStatus.safeParse(payload);
	if (!stated.success) return unreadable(eventId, type, stated.error);
	const status = stated.data.result.status;
	const meaning = meaningOf(easypostStatuses, status);
	if (meaning === "pre_transit" || meaning === "unknown")
		return ignored(eventId, noChangeEventType(meaning), "status_changes_nothing");

	const read = trackerEvent.safeParse(payload);
	if (!read.success) return unreadable(eventId, type, read.error);
	const tracker = field(payload, "result");
	const scans = items(field(tracker, "tracking_details")).flatMap((detail) => {
		const at = carrierInstant(field(detail, "datetime"));
		if (!at) return [];
		const where = field(detail, "tracking_location");
		const location = place(field(where, "city"), field(where, "state"), field(where, "country"));
		return [checkpointAt(at, location, text(field(detail, "message")) ?? text(field(detail, "description")))];
	});
	const last = latest(scans);
	const occurredAt = last?.at ?? carrierInstant(field(tracker, "updated_at"));
	if (!occurredAt) return refused(read.data.id, type, noTime("result.tracking_details[].datetime, result.updated_at"));

	const statusDetail = text(field(tracker, "status_detail"), 200);
	const event: TrackingEvent = {
		eventId: read.data.id,
		status: meaning,
		trackingNumber: read.data.result.tracking_code,
		carrier: read.data.result.carrier ?? null,
		occurredAt,
		statusDetail,
		checkpoint: last?.checkpoint ?? null,
		estimatedDeliveryAt: estimatedInstant(field(tracker, "est_delivery_date")),
		exceptionReason: meaning === "exception" ? (statusDetail ?? text(status, 200)) : null,
		trackingUrl: webUrl(field(tracker, "public_url")),
	};
	return { kind: "track", event };
}
