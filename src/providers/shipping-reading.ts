/**
 * @module providers/shipping-reading
 * What the three parcel-tracking providers' readers (src/providers/{easypost,aftership,shippo}/events.ts)
 * return, and the pieces they share. A reader is pure: it takes a verified, parsed JSON body and
 * returns one reading, and never throws on the body's content.
 *
 * - `track`: a tracking update that moves a parcel, normalised (src/domain/tracking-event.ts).
 * - `ignore`: a valid event that changes nothing: a carrier status before or outside the journey
 *   (`package.pre_transit`, `package.unknown`, a status the provider adds later), or an event kind
 *   that is not a tracking update (recorded under the provider's own type).
 * - `fail`: a tracking update whose shape cannot be read (no tracking number, no time at all).
 *   `reason` names schema paths and expectations, never a value from the payload (AfterShip's carry
 *   customer names, addresses and emails).
 *
 * Every string a reading holds is storable (src/webhooks/storable.ts): identifiers (tracking number,
 * carrier, event id) that Postgres could not hold make the reading `fail` (a cleaned one would name
 * another parcel), free text (a checkpoint's message, a status detail) is cleaned and shortened.
 */
import * as z from "zod/mini";
import type { Checkpoint, PackageStatus, TrackingEvent } from "../domain/tracking-event";
import { toStorableText } from "../webhooks/storable";
import { describeReadingIssues, parseInstant } from "./email-reading";

/** A verified body, read. */
export type TrackingReading =
	| { kind: "track"; event: TrackingEvent }
	| { kind: "ignore"; eventId: string | undefined; eventType: string; reason: string }
	| { kind: "fail"; eventId: string | undefined; eventType: string; reason: string };

/** What a carrier status means: a move of the parcel, or nothing (`pre_transit`, `unknown`). */
export type StatusMeaning = PackageStatus | "pre_transit" | "unknown";

/** The ledger's event type of a status that changes nothing. */
export const noChangeEventType = (meaning: "pre_transit" | "unknown") => `package.${meaning}` as const;

/** The event type of a body whose type cannot be read. */
export const UNKNOWN_TYPE = "unknown";

/**
 * What `status` means by a provider's table; a status the table does not list (one the provider adds
 * later) means `unknown`: ignored, never failed. A Map: `constructor` finds nothing.
 */
export function meaningOf(table: ReadonlyMap<string, StatusMeaning>, status: string): StatusMeaning {
	return table.get(status) ?? "unknown";
}

/** A provider's status table, written as meaning → its statuses. */
export function statusTable(meanings: Record<StatusMeaning, readonly string[]>): ReadonlyMap<string, StatusMeaning> {
	return new Map(
		Object.entries(meanings).flatMap(([meaning, statuses]) =>
			statuses.map((status) => [status, meaning as StatusMeaning] as const),
		),
	);
}

/** The reading of a tracking update whose status changes nothing, or of an event kind that is not one. */
export function ignored(eventId: string | undefined, eventType: string, reason: string): TrackingReading {
	return { kind: "ignore", eventId, eventType, reason };
}

/** A tracking update we cannot read, from its validation error (paths and expectations only). */
export function unreadable(eventId: string | undefined, eventType: string, error: z.core.$ZodError): TrackingReading {
	return { kind: "fail", eventId, eventType, reason: describeReadingIssues(error) };
}

/** A tracking update we cannot read, for a reason of our own (which must not quote the payload). */
export function refused(eventId: string | undefined, eventType: string, reason: string): TrackingReading {
	return { kind: "fail", eventId, eventType, reason };
}

/** A date-time without a zone: read as UTC (AfterShip's `checkpoint_time` may come so). */
const zoneless = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?$/;
/** A date alone (`2024-08-05`): an estimated delivery day, read as its midnight UTC. */
const dateOnly = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The instant a carrier's time text names: ISO 8601 with a zone (`Z`, `-04:00`), or without one (read
 * as UTC); undefined for anything else, or outside 1970–9999 (src/providers/email-reading.ts parseInstant).
 */
export function carrierInstant(value: unknown): Date | undefined {
	if (typeof value !== "string" || value.length > 64) return undefined;
	return parseInstant(zoneless.test(value) ? `${value}Z` : value);
}

/** An estimated delivery: a carrier instant, or a date alone (its midnight UTC); else null. */
export function estimatedInstant(value: unknown): Date | null {
	if (typeof value === "string" && dateOnly.test(value)) return parseInstant(`${value}T00:00:00Z`) ?? null;
	return carrierInstant(value) ?? null;
}

/** Unix seconds (AfterShip's `ts`) as a Date, or undefined when not a plausible one. */
export function unixInstant(value: unknown): Date | undefined {
	return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 253_402_300_799
		? new Date(value * 1000)
		: undefined;
}

/** Free text as stored: a non-empty string cleaned of what Postgres cannot hold and cut to `max` characters; else null. */
export function text(value: unknown, max = 500): string | null {
	if (typeof value !== "string") return null;
	const cleaned = toStorableText(value.trim()).slice(0, max).toWellFormed();
	return cleaned === "" ? null : cleaned;
}

/** A place as one short line: the non-empty parts, `, ` between them (`Brooklyn, NY, US`). */
export function place(...parts: unknown[]): string | null {
	return text(
		parts
			.map((part) => text(part, 100))
			.filter((part) => part !== null)
			.join(", "),
		200,
	);
}

/** A public http(s) URL (a tracking page); anything else (another scheme, not a URL) is null. */
export function webUrl(value: unknown): string | null {
	const candidate = text(value, 2000);
	if (candidate === null) return null;
	try {
		const url = new URL(candidate);
		return url.protocol === "https:" || url.protocol === "http:" ? candidate : null;
	} catch {
		return null;
	}
}

/** A checkpoint and its instant, as a reader picks the latest. */
export interface TimedCheckpoint {
	at: Date;
	checkpoint: Checkpoint;
}

/** The latest of `checkpoints` by time; among equal times, the last listed. Undefined when there is none. */
export function latest(checkpoints: readonly TimedCheckpoint[]): TimedCheckpoint | undefined {
	let found: TimedCheckpoint | undefined;
	for (const candidate of checkpoints) if (!found || candidate.at >= found.at) found = candidate;
	return found;
}

/** A checkpoint at `at` (its time stored as ISO UTC), where and what. */
export function checkpointAt(at: Date, location: string | null, message: string | null): TimedCheckpoint {
	return { at, checkpoint: { time: at.toISOString(), location, message } };
}

/** `value[key]` when `value` is an object (not an array), else undefined: for best-effort reads. */
export function field(value: unknown, key: string): unknown {
	return value !== null && typeof value === "object" && !Array.isArray(value) && Object.hasOwn(value, key)
		? (value as Record<string, unknown>)[key]
		: undefined;
}

/** `value` as an array (anything else is none). */
export const items = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** A string of the payload named in the ledger's event type (a provider's kind of event), or undefined. */
export function typeName(value: unknown): string | undefined {
	return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

/** The reason of a tracking update with no time to order it by, naming the fields tried. */
export const noTime = (fields: string) =>
	`no time: none of ${fields} is an ISO 8601 date-time (1970 to 9999); the update cannot be ordered`;

/** A status, tag or code as the providers send them: a non-empty string. */
export const statusCode = z.string().check(z.minLength(1), z.maxLength(100));
