/**
 * @module domain/tracking-event
 * A carrier's tracking update as every shipping provider reads it (src/providers/{easypost,aftership,
 * shippo}): the normalised package event the shop's shipments and orders follow (src/domain/shipments.ts).
 * Trust boundary: built from verified bodies; every value is the provider's, validated by its reader.
 */

/** What a tracking update means for the shop; other carrier statuses change nothing (`ignored`). */
export const packageStatuses = ["in_transit", "delivered", "exception"] as const;
export type PackageStatus = (typeof packageStatuses)[number];

/** The ledger's `event_type` of a normalised update: `package.in_transit`, `package.delivered`, `package.exception`. */
export const packageEventType = (status: PackageStatus) => `package.${status}` as const;

/** The latest scan the carrier reported: its time, where (free text), and what it said. */
export interface Checkpoint {
	/** ISO 8601, as normalised by the reader (UTC). */
	time: string;
	location: string | null;
	message: string | null;
}

export interface TrackingEvent {
	/** The provider's id for the update (Shippo has none: its reader builds one from the update's content). */
	eventId: string | undefined;
	status: PackageStatus;
	/** As the carrier prints it; shipments are found by it (and the carrier, when both name one). */
	trackingNumber: string;
	/** The carrier as the provider names it (`FedEx`, `ups`, `usps`), or null. */
	carrier: string | null;
	/**
	 * When the carrier says this status happened (the latest checkpoint's time, else the provider's
	 * update time): what orders the events of one parcel, never the time of receipt.
	 */
	occurredAt: Date;
	/** The provider's finer status (`out_for_delivery`, `InTransit_007`, …), or null. */
	statusDetail: string | null;
	checkpoint: Checkpoint | null;
	estimatedDeliveryAt: Date | null;
	/** For an exception: why, as a short code or phrase (`return_to_sender`, `AttemptFail`), else null. */
	exceptionReason: string | null;
	/** A public tracking page for the parcel, when the provider gives one. */
	trackingUrl: string | null;
}
