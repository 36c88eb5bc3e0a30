/**
 * @module providers/aftership/send
 * AfterShip's side, for `npm run send -- shipping aftership <kind>` (src/providers/sending.ts; never
 * imported by the Worker): one `tracking_update` per request, shaped like
 * test/fixtures/payloads/aftership/ (the tracking with its checkpoints, and the customer's name and
 * email as AfterShip carries them: the demo user's), about the demo parcel or `--tracking`'s, signed
 * as AfterShip signs: `aftership-hmac-sha256` = base64 HMAC-SHA256 of the body with
 * AFTERSHIP_WEBHOOK_SECRET.
 */
import { createHash, createHmac, randomUUID } from "node:crypto";
import { onlyEvent, type ProviderSender, type SendContext, templatesOf } from "../sending";
import {
	carrierTrackingPage,
	estimatedDelivery,
	journey,
	parcelOf,
	type Scan,
	type ShippingKind,
	shippingKinds,
} from "../shipping-sending";

/** Each stage's tag and subtag (https://www.aftership.com/docs/tracking/2025-04/enum/delivery-sub-statuses). */
const stages: Record<Scan["stage"], { tag: string; subtag: string; subtagMessage: string }> = {
	label: { tag: "InfoReceived", subtag: "InfoReceived_001", subtagMessage: "Info Received" },
	moving: { tag: "InTransit", subtag: "InTransit_007", subtagMessage: "Departure Scan" },
	out_for_delivery: { tag: "OutForDelivery", subtag: "OutForDelivery_001", subtagMessage: "Out for Delivery" },
	in_transit: { tag: "InTransit", subtag: "InTransit_003", subtagMessage: "Arrival scan" },
	delivered: { tag: "Delivered", subtag: "Delivered_001", subtagMessage: "Delivered" },
	exception: { tag: "Exception", subtag: "Exception_011", subtagMessage: "Returned to sender" },
};

/** The time as AfterShip writes a checkpoint's: local time with its offset (US Eastern, summer: -04:00). */
const localTime = (millis: number) => `${new Date(millis - 4 * 3_600_000).toISOString().slice(0, 19)}-04:00`;
const utcTime = (millis: number) => `${new Date(millis).toISOString().slice(0, 19)}+00:00`;

function event(kind: ShippingKind, now: number, context: SendContext) {
	const parcel = parcelOf(context);
	const scans = journey(now, kind);
	const last = scans.at(-1) as Scan;
	const { tag, subtag, subtagMessage } = stages[last.stage];
	return {
		event: "tracking_update",
		event_id: randomUUID(),
		is_tracking_first_tag: true,
		msg: {
			id: createHash("sha256").update(`aftership:${parcel.number}`).digest("hex").slice(0, 32),
			tracking_number: parcel.number,
			slug: parcel.carrier,
			active: kind === "in_transit",
			tag,
			subtag,
			subtag_message: subtagMessage,
			title: `Parcel ${parcel.number}`,
			customer_name: "Ada Lovelace",
			emails: [context.to],
			origin_country_region: "USA",
			destination_country_region: "USA",
			destination_city: "Brooklyn",
			destination_postal_code: "11201",
			shipment_type: "Ground",
			signed_by: kind === "delivered" ? "LOVELACE" : null,
			expected_delivery: estimatedDelivery(scans).toISOString().slice(0, 10),
			courier_tracking_link: carrierTrackingPage(parcel),
			created_at: utcTime(scans[0]?.at ?? now),
			updated_at: utcTime(now),
			custom_fields: null,
			checkpoints: scans
				.filter((scan) => scan.stage !== "label")
				.map((scan) => ({
					slug: parcel.carrier,
					city: scan.place.city,
					created_at: utcTime(scan.at + 120_000),
					location: `${scan.place.city}, ${scan.place.state}, ${scan.place.country}`,
					country_region: "USA",
					country_region_name: "United States",
					message: scan.message,
					tag: stages[scan.stage].tag,
					subtag: stages[scan.stage].subtag,
					subtag_message: stages[scan.stage].subtagMessage,
					checkpoint_time: localTime(scan.at),
					coordinates: [],
					state: scan.place.state,
					zip: scan.place.zip,
					raw_tag: "",
				})),
		},
		ts: Math.floor(now / 1000),
	};
}

const templates = templatesOf(shippingKinds, event);

export const sender: ProviderSender = {
	templates,
	tracking: true,
	signingSecret: { variable: "AFTERSHIP_WEBHOOK_SECRET" },
	async sign(events, secret) {
		const body = JSON.stringify(onlyEvent(events));
		return { headers: { "aftership-hmac-sha256": createHmac("sha256", secret).update(body).digest("base64") }, body };
	},
	describe: (event) => {
		const number = (event.msg as { tracking_number?: unknown } | undefined)?.tracking_number;
		return typeof number === "string" ? number : undefined;
	},
};
