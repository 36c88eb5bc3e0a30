/**
 * @module providers/shipping-sending
 * What the three carrier providers' send.ts (`npm run send -- shipping <provider> <kind>`) share: the
 * demo parcel, and one parcel journey told as each provider tells it (src/providers/sending.ts; the
 * Worker never imports this file). The journey ends a minute before `now`, so that each event the CLI
 * sends is the parcel's latest: `in_transit`, then `delivered`, moves the demo order as a real parcel
 * would, whatever was sent before.
 * Trust boundary: none; everything here is test data.
 */
/** The kinds of event the CLI sends for every carrier provider. */
export const shippingKinds = ["in_transit", "delivered", "exception"] as const;
export type ShippingKind = (typeof shippingKinds)[number];

/**
 * The parcel the CLI's events are about unless `--tracking` names another: the first demo shipment
 * of `npm run db:seed` (tools/db/demo-shipments.ts), carried by UPS.
 */
export const demoParcel = { number: "DEMO1Z0001", carrier: "ups" } as const;

/**
 * The parcel of a send (src/providers/sending.ts SendContext, read structurally: tools/db/ imports
 * this file, and Node resolves no extensionless import): `--tracking`'s, else the demo one.
 */
export const parcelOf = (context: { tracking?: { number: string; carrier: string } }) => context.tracking ?? demoParcel;

/** A place on the journey. */
export interface Place {
	city: string;
	state: string;
	zip: string;
	country: string;
}

/** One scan of the journey, as a carrier reports it (the provider names its status its own way). */
export interface Scan {
	/** unix milliseconds */
	at: number;
	/** what it means: the first scan is the label, before the carrier has the parcel */
	stage: "label" | "moving" | "out_for_delivery" | ShippingKind;
	message: string;
	place: Place;
}

const origin: Place = { city: "Orlando", state: "FL", zip: "32809", country: "US" };
const hub: Place = { city: "Edison", state: "NJ", zip: "08817", country: "US" };
const destination: Place = { city: "Brooklyn", state: "NY", zip: "11201", country: "US" };

const HOUR = 3_600_000;

/** The parcel's scans up to an event of `kind`, oldest first; the last one is a minute before `now`. */
export function journey(now: number, kind: ShippingKind): Scan[] {
	const last = now - 60_000;
	const start: Scan[] = [
		{ at: last - 72 * HOUR, stage: "label", message: "Shipment information sent to the carrier", place: origin },
		{ at: last - 60 * HOUR, stage: "moving", message: "Picked up", place: origin },
		{ at: last - 40 * HOUR, stage: "moving", message: "Departed facility", place: origin },
	];
	switch (kind) {
		case "in_transit":
			return [...start, { at: last, stage: "in_transit", message: "Arrived at facility", place: hub }];
		case "delivered":
			return [
				...start,
				{ at: last - 20 * HOUR, stage: "moving", message: "Arrived at facility", place: hub },
				{ at: last - 5 * HOUR, stage: "out_for_delivery", message: "Out for delivery", place: destination },
				{ at: last, stage: "delivered", message: "Delivered, front door", place: destination },
			];
		case "exception":
			return [
				...start,
				{ at: last - 20 * HOUR, stage: "moving", message: "Arrived at facility", place: hub },
				{
					at: last,
					stage: "exception",
					message: "The receiver was not available for delivery. Returning to sender.",
					place: destination,
				},
			];
	}
}

/** The estimated delivery day of a journey: two days after the label, midnight UTC. */
export function estimatedDelivery(scans: Scan[]): Date {
	const day = new Date((scans[0]?.at ?? 0) + 48 * HOUR);
	return new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate()));
}

/** The ISO 8601 instant of unix milliseconds, to the second (`2024-08-05T17:58:00Z`), as carriers write them. */
export const isoSeconds = (millis: number) => new Date(millis).toISOString().replace(/\.\d{3}Z$/, "Z");

/** The carrier's own tracking page of a parcel (what AfterShip and Shippo link to). */
export function carrierTrackingPage(parcel: { number: string; carrier: string }): string {
	const number = encodeURIComponent(parcel.number);
	switch (parcel.carrier) {
		case "usps":
			return `https://tools.usps.com/go/TrackConfirmAction?tLabels=${number}`;
		case "fedex":
			return `https://www.fedex.com/fedextrack/?trknbr=${number}`;
		default:
			return `https://www.ups.com/track?tracknum=${number}`;
	}
}
