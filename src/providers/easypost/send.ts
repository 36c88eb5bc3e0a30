/**
 * @module providers/easypost/send
 * EasyPost's side, for `npm run send -- shipping easypost <kind>` (src/providers/sending.ts; never
 * imported by the Worker): one `tracker.updated` Event per request, shaped like
 * test/fixtures/payloads/easypost/ (a Tracker with its tracking details), in test mode, about the
 * demo parcel or `--tracking`'s, signed as EasyPost signs: `X-Hmac-Signature: hmac-sha256-hex=` and
 * the hex HMAC-SHA256 of the body keyed with NFKD(EASYPOST_WEBHOOK_SECRET).
 */
import { createHash, createHmac, randomBytes } from "node:crypto";
import { onlyEvent, type ProviderSender, type SendContext, templatesOf } from "../sending";
import {
	estimatedDelivery,
	isoSeconds,
	journey,
	parcelOf,
	type Scan,
	type ShippingKind,
	shippingKinds,
} from "../shipping-sending";

/** EasyPost's name of a carrier (its `carrier` field), from the CLI's lower-case key. */
const carrierNames: Record<string, string> = { ups: "UPS", usps: "USPS", fedex: "FedEx", dhl: "DHLExpress" };

/** Each stage's tracking detail status and status_detail (https://docs.easypost.com/docs/trackers). */
const stages: Record<Scan["stage"], { status: string; detail: string }> = {
	label: { status: "pre_transit", detail: "label_created" },
	moving: { status: "in_transit", detail: "arrived_at_facility" },
	out_for_delivery: { status: "out_for_delivery", detail: "out_for_delivery" },
	in_transit: { status: "in_transit", detail: "arrived_at_facility" },
	delivered: { status: "delivered", detail: "arrived_at_destination" },
	exception: { status: "return_to_sender", detail: "return" },
};

/** A Tracker's id, the same for every event about one parcel. */
const trackerId = (trackingNumber: string) =>
	`trk_${createHash("sha256").update(`easypost:${trackingNumber}`).digest("hex").slice(0, 32)}`;

function event(kind: ShippingKind, now: number, context: SendContext) {
	const parcel = parcelOf(context);
	const scans = journey(now, kind);
	const last = scans.at(-1) as Scan;
	const { status, detail } = stages[last.stage];
	const created = isoSeconds(scans[0]?.at ?? now);
	const updated = new Date(now).toISOString();
	const id = trackerId(parcel.number);
	return {
		description: "tracker.updated",
		mode: "test",
		previous_attributes: { status: kind === "in_transit" ? "pre_transit" : "in_transit" },
		created_at: updated,
		pending_urls: ["https://example.com/easypost"],
		completed_urls: [],
		updated_at: updated,
		id: `evt_${randomBytes(16).toString("hex")}`,
		user_id: "user_demo_shop",
		status: "pending",
		object: "Event",
		result: {
			id,
			object: "Tracker",
			mode: "test",
			tracking_code: parcel.number,
			status,
			status_detail: detail,
			created_at: created,
			updated_at: isoSeconds(now),
			signed_by: kind === "delivered" ? "A LOVELACE" : null,
			weight: 17.5,
			est_delivery_date: estimatedDelivery(scans).toISOString().replace(".000Z", "Z"),
			shipment_id: null,
			carrier: carrierNames[parcel.carrier] ?? parcel.carrier.toUpperCase(),
			tracking_details: scans.map((scan) => ({
				object: "TrackingDetail",
				message: scan.message,
				description: scan.message,
				status: stages[scan.stage].status,
				status_detail: stages[scan.stage].detail,
				datetime: isoSeconds(scan.at),
				source: carrierNames[parcel.carrier] ?? parcel.carrier,
				carrier_code: "",
				tracking_location: { object: "TrackingLocation", ...scan.place },
			})),
			carrier_detail: { object: "CarrierDetail", service: "Ground", container_type: null },
			finalized: kind !== "in_transit",
			is_return: kind === "exception",
			public_url: `https://track.easypost.com/${Buffer.from(id).toString("base64url")}`,
		},
	};
}

const templates = templatesOf(shippingKinds, event);

export const sender: ProviderSender = {
	templates,
	tracking: true,
	signingSecret: { variable: "EASYPOST_WEBHOOK_SECRET" },
	async sign(events, secret) {
		const body = JSON.stringify(onlyEvent(events));
		const hex = createHmac("sha256", secret.normalize("NFKD")).update(body).digest("hex");
		return { headers: { "x-hmac-signature": `hmac-sha256-hex=${hex}` }, body };
	},
	describe: (event) => {
		const code = (event.result as { tracking_code?: unknown } | undefined)?.tracking_code;
		return typeof code === "string" ? code : undefined;
	},
};
