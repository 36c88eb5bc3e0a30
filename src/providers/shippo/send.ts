/**
 * @module providers/shippo/send
 * Shippo's side, for `npm run send -- shipping shippo <kind>` (src/providers/sending.ts; never imported
 * by the Worker): one `track_updated` per request, shaped like test/fixtures/payloads/shippo/ (the
 * Tracking object with its status and history), `test: true` as the dashboard's deliveries, about
 * the demo parcel or `--tracking`'s. Shippo signs nothing: the request's URL carries the secret
 * token (`?token=` SHIPPO_WEBHOOK_TOKEN), which the CLI never prints.
 */
import { randomBytes } from "node:crypto";
import { onlyEvent, type ProviderSender, type SendContext, templatesOf } from "../sending";
import {
	carrierTrackingPage,
	estimatedDelivery,
	isoSeconds,
	journey,
	parcelOf,
	type Scan,
	type ShippingKind,
	shippingKinds,
} from "../shipping-sending";

/** Each stage's status and substatus (https://docs.goshippo.com/docs/tracking/tracking). */
const stages: Record<Scan["stage"], { status: string; code: string; text: string }> = {
	label: { status: "PRE_TRANSIT", code: "information_received", text: "Information about the package received." },
	moving: {
		status: "TRANSIT",
		code: "package_departed",
		text: "Package has departed from an intermediate facility in the carrier network.",
	},
	out_for_delivery: { status: "TRANSIT", code: "out_for_delivery", text: "Package is out for delivery." },
	in_transit: {
		status: "TRANSIT",
		code: "package_arrived",
		text: "Package has arrived at an intermediate facility in the carrier network.",
	},
	delivered: { status: "DELIVERED", code: "delivered", text: "Package has been delivered." },
	exception: { status: "RETURNED", code: "return_to_sender", text: "Package is being returned to the sender." },
};

/** A Shippo object id: 32 hex digits. */
const objectId = () => randomBytes(16).toString("hex");

function status(scan: Scan) {
	const { status, code, text } = stages[scan.stage];
	const recorded = isoSeconds(scan.at + 120_000);
	return {
		object_created: recorded,
		object_updated: recorded,
		object_id: objectId(),
		status,
		status_details: scan.message,
		status_date: isoSeconds(scan.at),
		substatus: { code, text, action_required: scan.stage === "exception" },
		location: scan.place,
	};
}

function event(kind: ShippingKind, now: number, context: SendContext) {
	const parcel = parcelOf(context);
	const scans = journey(now, kind);
	const history = scans.map(status);
	return {
		event: "track_updated",
		test: true,
		data: {
			messages: [],
			carrier: parcel.carrier,
			tracking_number: parcel.number,
			address_from: { city: "Orlando", state: "FL", zip: "32809", country: "US" },
			address_to: { city: "Brooklyn", state: "NY", zip: "11201", country: "US" },
			transaction: null,
			original_eta: isoSeconds(estimatedDelivery(scans).getTime()),
			eta: isoSeconds(estimatedDelivery(scans).getTime()),
			servicelevel: { token: `${parcel.carrier}_ground`, name: "Ground" },
			metadata: null,
			tracking_status: history.at(-1),
			tracking_history: history,
			tracking_url_provider: carrierTrackingPage(parcel),
			test: true,
		},
	};
}

const templates = templatesOf(shippingKinds, event);

export const sender: ProviderSender = {
	templates,
	tracking: true,
	signingSecret: { variable: "SHIPPO_WEBHOOK_TOKEN" },
	async sign(events, token) {
		return { headers: {}, body: JSON.stringify(onlyEvent(events)), query: { token } };
	},
	describe: (event) => {
		const number = (event.data as { tracking_number?: unknown } | undefined)?.tracking_number;
		return typeof number === "string" ? number : undefined;
	},
};
