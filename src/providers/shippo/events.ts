/**
 * @module providers/shippo/events
 * Shippo's `track_updated` webhook body read into a normalised tracking update
 * (src/domain/tracking-event.ts). Pure.
 *
 * Protocol facts, and where they come from:
 * - The body (https://docs.goshippo.com/docs/tracking/webhooks): `event` (`track_updated`,
 *   `transaction_created`, `transaction_updated`, `batch_created`, …), `test` (true for test-mode and
 *   dashboard sample deliveries: processed like the others), `data` (for `track_updated`, a Tracking
 *   object: `carrier` (`usps`, `ups`, `fedex`…), `tracking_number`, `eta`, `tracking_url_provider`,
 *   `tracking_status` {`status`, `status_details`, `status_date`, `substatus` {`code`, `text`},
 *   `location`, `object_id`, `object_updated`}, `tracking_history[]`).
 * - Statuses (https://docs.goshippo.com/docs/tracking/tracking): `PRE_TRANSIT`, `TRANSIT`,
 *   `DELIVERED`, `RETURNED`, `FAILURE`, `UNKNOWN`.
 *
 * | Shippo `data.tracking_status.status`            | normalised                     |
 * | ----------------------------------------------- | ------------------------------ |
 * | `TRANSIT`                                       | in_transit                     |
 * | `DELIVERED`                                     | delivered                      |
 * | `RETURNED`, `FAILURE`                           | exception                      |
 * | `PRE_TRANSIT`                                   | ignored, `package.pre_transit` |
 * | `UNKNOWN`, no `tracking_status`, a new status   | ignored, `package.unknown`     |
 *
 * **Event id.** Shippo sends none, and says its tracking webhooks are not idempotent (duplicates
 * happen). The key is derived from what identifies the update:
 * `${carrier}:${tracking_number}:${tracking_status.object_id ?? status}:${status_date}` (the time as
 * received; `object_updated` when there is no `status_date`), e.g.
 * `usps:9205590164917312751089:9f8e7d6c5b4a4f3e8d2c1b0a99887766:2024-08-05T17:58:00Z`: a redelivery
 * of the same update carries the same parts, so the same key; the next update of the parcel has
 * another status object and time. It is never hashed and holds no personal data; an update whose key
 * would be longer than 255 characters is keyed by its body's digest (src/webhooks/apply.ts).
 *
 * The update's time is `tracking_status.status_date` (the carrier's), else its `object_updated`, else
 * the tracking's `object_updated`; with none, the update is `failed`. The checkpoint is the tracking
 * status itself (`location` as `city, state, country`, `status_details` as its message). Status
 * detail: `substatus.code`; an exception's reason: `substatus.code`, else the status.
 */
import * as z from "zod/mini";
import type { TrackingEvent } from "../../domain/tracking-event";
import { storableId } from "../../validation";
import { derivedKey } from "../email-reading";
import {
	carrierInstant,
	checkpointAt,
	estimatedInstant,
	field,
	ignored,
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

/** The event kind of a tracking update. */
const TRACK_UPDATED = "track_updated";

export const shippoStatuses = statusTable({
	in_transit: ["TRANSIT"],
	delivered: ["DELIVERED"],
	exception: ["RETURNED", "FAILURE"],
	pre_transit: ["PRE_TRANSIT"],
	unknown: ["UNKNOWN"],
});

const shippoType = z.object({ event: statusCode });
const trackUpdate = z.object({
	data: z.object({
		carrier: storableId,
		tracking_number: storableId,
		tracking_status: z.object({ status: statusCode, object_id: z.nullish(storableId) }),
	}),
});

/** The ledger key of a Shippo tracking update (see the module's notes), or undefined when it would not fit. */
export function shippoEventKey(
	carrier: string,
	trackingNumber: string,
	statusObject: string,
	time: string,
): string | undefined {
	return derivedKey([carrier, trackingNumber, statusObject, time]);
}

/** The key of an update read at best (for one that is ignored): undefined when a part is missing. */
function keyAtBest(data: unknown): string | undefined {
	const status = field(data, "tracking_status");
	const parts = [
		field(data, "carrier"),
		field(data, "tracking_number"),
		field(status, "object_id") ?? field(status, "status"),
		field(status, "status_date") ?? field(status, "object_updated"),
	];
	return parts.every((part) => typeof part === "string" && part !== "")
		? shippoEventKey(...(parts as [string, string, string, string]))
		: undefined;
}

/** The tracking update a verified Shippo body holds, or why it holds none. */
export function readTrackingEvent(payload: unknown): TrackingReading {
	const typed = shippoType.safeParse(payload);
	if (!typed.success) return unreadable(undefined, UNKNOWN_TYPE, typed.error);
	const type = typed.data.event;
	if (type !== TRACK_UPDATED) return ignored(undefined, type, "not_a_tracking_update");

	const data = field(payload, "data");
	const trackingStatus = field(data, "tracking_status");
	const status = field(trackingStatus, "status");
	const meaning = typeof status === "string" ? meaningOf(shippoStatuses, status) : "unknown";
	if (meaning === "pre_transit" || meaning === "unknown")
		return ignored(keyAtBest(data), noChangeEventType(meaning), "status_changes_nothing");

	const read = trackUpdate.safeParse(payload);
	if (!read.success) return unreadable(undefined, type, read.error);
	const { carrier, tracking_number: trackingNumber, tracking_status: statusRead } = read.data.data;

	const statusDate = field(trackingStatus, "status_date");
	const times: [unknown, Date | undefined][] = [
		statusDate,
		field(trackingStatus, "object_updated"),
		field(data, "object_updated"),
	].map((value) => [value, carrierInstant(value)]);
	const [timeText, occurredAt] = times.find(([, at]) => at !== undefined) ?? [];
	if (!occurredAt || typeof timeText !== "string")
		return refused(
			undefined,
			type,
			noTime("data.tracking_status.status_date, data.tracking_status.object_updated, data.object_updated"),
		);
	const eventId = shippoEventKey(carrier, trackingNumber, statusRead.object_id ?? statusRead.status, timeText);

	const statusAt = carrierInstant(statusDate);
	const where = field(trackingStatus, "location");
	const checkpoint = statusAt
		? checkpointAt(
				statusAt,
				place(field(where, "city"), field(where, "state"), field(where, "country")),
				text(field(trackingStatus, "status_details")),
			).checkpoint
		: null;
	const code = text(field(field(trackingStatus, "substatus"), "code"), 200);
	const event: TrackingEvent = {
		eventId,
		status: meaning,
		trackingNumber,
		carrier,
		occurredAt,
		statusDetail: code,
		checkpoint,
		estimatedDeliveryAt: estimatedInstant(field(data, "eta")),
		exceptionReason: meaning === "exception" ? (code ?? text(statusRead.status, 200)) : null,
		trackingUrl: webUrl(field(data, "tracking_url_provider")),
	};
	return { kind: "track", event };
}
