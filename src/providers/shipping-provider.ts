/**
 * @module providers/shipping-provider
 * What the three parcel-tracking providers share once a body is verified: the reading
 * (src/providers/shipping-reading.ts) becomes the pipeline's interpretation. A tracking update is
 * applied by src/domain/shipments.ts (the shipment, its order and the notification outbox, in the
 * event's transaction; an unknown tracking number is retried later); the rest is `ignored` or
 * `failed` as read.
 */
import { trackingInterpretation } from "../domain/shipments";
import type { Interpretation } from "../webhooks/provider";
import type { TrackingReading } from "./shipping-reading";

/** The interpretation of `provider`'s reading; `env` holds the settings the domain reads (OPS_EMAIL). */
export function shippingInterpretation(provider: string, reading: TrackingReading, env: Env): Interpretation {
	switch (reading.kind) {
		case "track":
			return trackingInterpretation(provider, reading.event, env);
		case "ignore":
			return { kind: "ignore", eventId: reading.eventId, eventType: reading.eventType, reason: reading.reason };
		case "fail":
			return { kind: "fail", eventId: reading.eventId, eventType: reading.eventType, reason: reading.reason };
	}
}
