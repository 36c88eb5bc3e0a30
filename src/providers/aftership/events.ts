/**
 * @module providers/aftership/events
 * AfterShip Tracking's webhook body read into a normalised tracking update
 * (src/domain/tracking-event.ts). Pure.
 *
 * Protocol facts, and where they come from:
 * - The body (https://www.aftership.com/docs/tracking/2025-01/webhook/webhook-specifications): `ts`
 *   (unix seconds), `event` (`tracking_update` for a status change; `edd_revise`,
 *   `tracking_pending_time`… for other kinds), `event_id` (a UUID, the ledger's key),
 *   `is_tracking_first_tag`, `msg` (the tracking: `tracking_number`, `slug` (the carrier), `tag`,
 *   `subtag`, `checkpoints[]` with `checkpoint_time`, `location`, `city`, `state`, `message`;
 *   `expected_delivery`, `courier_tracking_link`, `updated_at`). The tracking also carries the
 *   customer's name, emails and address: none of it is read.
 * - Tags (https://www.aftership.com/docs/tracking/2025-01/enum/delivery-statuses): `Pending` ("new
 *   shipments … without tracking information available yet"), `InfoReceived` ("carrier has received
 *   request from shipper and is about to pick up"), `InTransit`, `OutForDelivery`, `AttemptFail`,
 *   `Delivered`, `AvailableForPickup`, `Exception`, `Expired`; subtags (`InTransit_007`…,
 *   https://www.aftership.com/docs/tracking/2025-04/enum/delivery-sub-statuses) grow over time: kept
 *   as the status detail, never interpreted.
 *
 * | AfterShip `msg.tag`                               | normalised                     |
 * | ------------------------------------------------- | ------------------------------ |
 * | `InTransit`, `OutForDelivery`, `AvailableForPickup` | in_transit                   |
 * | `Delivered`                                       | delivered                      |
 * | `Exception`, `AttemptFail`, `Expired`             | exception                      |
 * | `InfoReceived`                                    | ignored, `package.pre_transit` |
 * | `Pending`, any tag AfterShip adds later           | ignored, `package.unknown`     |
 *
 * The update's time is the latest checkpoint's `checkpoint_time` (with its offset; one without an
 * offset is read as UTC), else `msg.updated_at`, else `ts`; with none, the update is `failed`. The
 * checkpoint is that latest one (its `location`, else `city, state, country`). Status detail:
 * `subtag`; an exception's reason: `subtag`, else the tag. Estimated delivery: `expected_delivery`,
 * else `aftership_estimated_delivery_date.estimated_delivery_date` (a date alone is its midnight UTC).
 * An update without `event_id` is keyed by its body's digest (src/webhooks/apply.ts).
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
	unixInstant,
	unreadable,
	webUrl,
} from "../shipping-reading";

/** The event kind of a tracking's status change. */
const TRACKING_UPDATE = "tracking_update";

export const aftershipTags = statusTable({
	in_transit: ["InTransit", "OutForDelivery", "AvailableForPickup"],
	delivered: ["Delivered"],
	exception: ["Exception", "AttemptFail", "Expired"],
	pre_transit: ["InfoReceived"],
	unknown: ["Pending"],
});

const aftershipType = z.object({ event: statusCode });
const trackingTag = z.object({ msg: z.object({ tag: statusCode }) });
const trackingUpdate = z.object({
	msg: z.object({
		tracking_number: storableId,
		slug: z.nullish(storableId),
	}),
});

/** The tracking update a verified AfterShip body holds, or why it holds none. */
export function readTrackingEvent(payload: unknown): TrackingReading {
	const eventId = asStorableId(field(payload, "event_id"));
	const typed = aftershipType.safeParse(payload);
	if (!typed.success) return unreadable(eventId, UNKNOWN_TYPE, typed.error);
	const type = typed.data.event;
	if (type !== TRACKING_UPDATE) return ignored(eventId, type, "not_a_tracking_update");

	const tagged = trackingTag.safeParse(payload);
	if (!tagged.success) return unreadable(eventId, type, tagged.error);
	const tag = tagged.data.msg.tag;
	const meaning = meaningOf(aftershipTags, tag);
	if (meaning === "pre_transit" || meaning === "unknown")
		return ignored(eventId, noChangeEventType(meaning), "status_changes_nothing");

	const read = trackingUpdate.safeParse(payload);
	if (!read.success) return unreadable(eventId, type, read.error);
	const msg = field(payload, "msg");
	const scans = items(field(msg, "checkpoints")).flatMap((checkpoint) => {
		const at = carrierInstant(field(checkpoint, "checkpoint_time"));
		if (!at) return [];
		const location =
			text(field(checkpoint, "location"), 200) ??
			place(
				field(checkpoint, "city"),
				field(checkpoint, "state"),
				field(checkpoint, "country_region_name") ?? field(checkpoint, "country_name"),
			);
		return [checkpointAt(at, location, text(field(checkpoint, "message")))];
	});
	const last = latest(scans);
	const occurredAt = last?.at ?? carrierInstant(field(msg, "updated_at")) ?? unixInstant(field(payload, "ts"));
	if (!occurredAt) return refused(eventId, type, noTime("msg.checkpoints[].checkpoint_time, msg.updated_at, ts"));

	const subtag = text(field(msg, "subtag"), 200);
	const event: TrackingEvent = {
		eventId,
		status: meaning,
		trackingNumber: read.data.msg.tracking_number,
		carrier: read.data.msg.slug ?? null,
		occurredAt,
		statusDetail: subtag,
		checkpoint: last?.checkpoint ?? null,
		estimatedDeliveryAt:
			estimatedInstant(field(msg, "expected_delivery")) ??
			estimatedInstant(field(field(msg, "aftership_estimated_delivery_date"), "estimated_delivery_date")),
		exceptionReason: meaning === "exception" ? (subtag ?? text(tag, 200)) : null,
		trackingUrl: webUrl(field(msg, "courier_tracking_link")),
	};
	return { kind: "track", event };
}
