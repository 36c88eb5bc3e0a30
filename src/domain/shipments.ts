/**
 * @module domain/shipments
 * (stub: the contract; implementation pending)
 */
import type { Interpretation } from "../webhooks/provider";
import type { TrackingEvent } from "./tracking-event";

/**
 * What a normalised tracking update does, as the pipeline's interpretation: the shipment's, its
 * order's and the notification outbox's changes, in the event's one transaction. An update for a
 * tracking number the shop has not recorded is `deferred` and retried later (webhooks/provider.ts).
 */
export function trackingInterpretation(_provider: string, _event: TrackingEvent, _env: Env): Interpretation {
	throw new Error("not implemented");
}
