/**
 * @module providers/email-reading
 * What every email provider's reader (src/providers/<name>/events.ts) returns, and the pieces the four
 * readers share. A reader is pure: it takes a verified, parsed JSON body and returns one reading per
 * provider event, in the body's order, and never throws on the body's content.
 *
 * - `ok: true`: the event, normalised (src/domain/email-events.ts). `kind` is null for an event type
 *   we do not handle (the pipeline records it `ignored`), whatever the rest of its shape.
 * - `ok: false`: an event of a type we handle whose shape we cannot read (recorded `failed`), or an
 *   element with no readable type or id. `reason` names schema paths and expectations, never a value
 *   from the payload (as src/validation.ts describeIssues).
 *
 * Content Postgres cannot hold (NUL, unpaired surrogates) never throws: in an identifier (event or
 * message id, recipient, order or user id) it makes the reading `ok: false`, since a cleaned
 * identifier would name another row; in free text (a subject) it is cleaned (src/validation.ts).
 */
import * as z from "zod/mini";
import type { EmailEvent } from "../domain/email-events";
import { asStorableId, storableValue } from "../validation";

/** One provider event of a verified body, read. */
export type EmailReading =
	| { ok: true; event: EmailEvent }
	| { ok: false; eventId: string | undefined; eventType: string; reason: string };

/** What a reader knows besides the body: the delivery's id header (Standard Webhooks `svix-id`), when there is one. */
export interface EmailReadingContext {
	deliveryId?: string;
}

/** The signature every provider's `readEmailEvents` has. */
export type ReadEmailEvents = (payload: unknown, context: EmailReadingContext) => EmailReading[];

/** The eventType of an element whose type cannot be read. */
export const UNKNOWN_TYPE = "unknown";

/** The latest instant a Date and a timestamptz both hold, as src/validation.ts unixSeconds: 9999-12-31T23:59:59.999Z. */
const MAX_MILLIS = 253_402_300_799_999;

/** Unix seconds with a fraction (Mailgun), 1970 to 9999-12-31, as src/validation.ts unixSeconds bounds them. */
export const unixSecondsWithFraction = z.number().check(z.nonnegative(), z.lte(253_402_300_799));

/** Unix seconds, possibly with a fraction, as a Date (milliseconds truncated). */
export const dateOfSeconds = (seconds: number): Date => new Date(Math.floor(seconds * 1000));

/**
 * RFC 3339 / ISO 8601 date-time with a time zone, as Resend (`2024-02-22T23:41:12.126Z`) and Postmark
 * (`2019-11-05T16:33:54.9070259Z`, `2014-01-15T16:09:19.6421112-05:00`) send them: any number of
 * fractional digits up to 9 (milliseconds kept, the rest truncated). A time without a zone is refused:
 * it would be read in an unknown zone.
 */
const isoDateTime = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

/** The instant `text` names, or undefined when it is not an ISO date-time with a zone between 1970 and 9999. */
export function parseInstant(text: string): Date | undefined {
	const match = isoDateTime.exec(text);
	if (!match) return undefined;
	const [, year, month, day, hour, minute, second, fraction = "", zulu, sign, offsetHours, offsetMinutes] = match;
	const [y, mo, d, h, mi, s] = [year, month, day, hour, minute, second].map(Number) as [
		number,
		number,
		number,
		number,
		number,
		number,
	];
	if (h > 23 || mi > 59 || s > 59) return undefined;
	const date = new Date(0);
	date.setUTCFullYear(y, mo - 1, d); // setUTCFullYear, unlike Date.UTC, does not read years 0–99 as 19xx
	if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return undefined;
	date.setUTCHours(h, mi, s, Number(fraction.padEnd(3, "0").slice(0, 3)));
	let millis = date.getTime();
	if (!zulu) {
		const oh = Number(offsetHours);
		const om = Number(offsetMinutes);
		if (oh > 23 || om > 59) return undefined;
		millis -= (sign === "-" ? -1 : 1) * (oh * 60 + om) * 60_000;
	}
	return millis >= 0 && millis <= MAX_MILLIS ? new Date(millis) : undefined;
}

/** An ISO date-time with a zone (see parseInstant), kept as the text received (Postmark's key is built from it). */
export const isoInstantText = z.string().check(
	z.maxLength(64),
	z.refine((text) => parseInstant(text) !== undefined, {
		message: "expected an ISO 8601 date-time with a time zone, 1970 to 9999",
	}),
);

/** An ISO date-time with a zone (see parseInstant), read as a Date. */
export const isoInstant = z.pipe(
	isoInstantText,
	z.transform((text) => parseInstant(text) as Date),
);

/**
 * A tag or metadata value that may find a row (an order or user id): a string (at most 500 characters,
 * storable, as src/validation.ts storableValue), or an integer, read as its decimal text (Mailgun's
 * `X-Mailgun-Variables` is JSON, so `{"order_id": 10423}` arrives as a number). Empty reads as null.
 */
const tagValue = z.pipe(
	z.union([storableValue, z.int()]),
	z.transform((value): string | null => (typeof value === "number" ? String(value) : value || null)),
);

/**
 * The shop's keys in a message's tags or metadata (`order_id`, `user_id`), the only ones read: the
 * rest is the shop's business, and never named in a reason.
 */
export const shopTags = z.looseObject({ order_id: z.optional(tagValue), user_id: z.optional(tagValue) });

/** The order and user a message's tags name, when they do. */
export function tagged(tags: z.infer<typeof shopTags> | null | undefined): {
	orderId: string | null;
	userId: string | null;
} {
	return { orderId: tags?.order_id ?? null, userId: tags?.user_id ?? null };
}

/**
 * A path segment as it may appear in a reason: a field name of a provider's schema (`sg_event_id`,
 * `event-data`, `BouncedAt`: snake, kebab or Pascal case, at most 40 characters) or an index. Anything
 * else is shown as `[key]`. The readers' schemas name only fields they expect (a sender's own tag keys
 * are never validated one by one), so a sender's key cannot reach a path; the check keeps it so.
 * src/validation.ts pathSegment accepts only snake_case, which would hide Mailgun's and Postmark's names.
 */
function pathSegment(segment: PropertyKey): string {
	if (typeof segment === "number") return String(segment);
	return typeof segment === "string" &&
		segment.length <= 40 &&
		/^[A-Za-z][A-Za-z0-9]*(?:[-_][A-Za-z0-9]+)*$/.test(segment)
		? segment
		: "[key]";
}

/** A short reason, e.g. `event-data.timestamp: Invalid input: expected number, received string`: paths and expectations only. */
export function describeReadingIssues(error: z.core.$ZodError): string {
	return error.issues
		.map((issue) => `${issue.path.map(pathSegment).join(".") || "(root)"}: ${issue.message}`)
		.join("; ")
		.slice(0, 500);
}

/** An event we cannot read. */
export function unreadableEvent(eventId: string | undefined, eventType: string, error: z.core.$ZodError): EmailReading {
	return { ok: false, eventId, eventType, reason: describeReadingIssues(error) };
}

/** An event we cannot read, for a reason of our own (which must not quote the payload). */
export function refusedEvent(eventId: string | undefined, eventType: string, reason: string): EmailReading {
	return { ok: false, eventId, eventType, reason };
}

/** The longest event id the ledger keeps as is (src/webhooks/apply.ts MAX_KEY_LENGTH); a derived key never exceeds it. */
export const MAX_EVENT_ID_LENGTH = 255;

/**
 * A key built from what identifies an event when the provider gives no id: `parts` joined with `:`,
 * or undefined when the result would be longer than MAX_EVENT_ID_LENGTH or hold what Postgres cannot
 * store (the reader then answers `ok: false`). Never hashed: the key stays readable in the ledger, and
 * the same parts always give the same key.
 */
export function derivedKey(parts: readonly string[]): string | undefined {
	return asStorableId(parts.join(":"));
}

/**
 * The event of a type we do not handle (`kind: null`): only `eventId` and `eventType` are certain. The
 * rest is read at best: `messageId` is "" and `at` the epoch when the payload does not hold them
 * (a Resend `contact.created` has no email id); recipient, subject, bounce type and tags are null.
 * The pipeline records such an event `ignored` and reads neither.
 */
export function unhandledEvent(
	eventId: string,
	eventType: string,
	messageId: unknown,
	at: Date | undefined,
): EmailReading {
	return {
		ok: true,
		event: {
			eventId,
			eventType,
			kind: null,
			messageId: asStorableId(messageId) ?? "",
			at: at ?? new Date(0),
			recipient: null,
			subject: null,
			bounceType: null,
			orderId: null,
			userId: null,
		},
	};
}

/** `value[key]` when `value` is an object (not an array), else undefined: for best-effort reads. */
export function field(value: unknown, key: string): unknown {
	return value !== null && typeof value === "object" && !Array.isArray(value) && Object.hasOwn(value, key)
		? (value as Record<string, unknown>)[key]
		: undefined;
}

/** `value` when it is a non-empty string, else undefined: a type read at best, for the ledger's event_type. */
export function nonEmptyString(value: unknown): string | undefined {
	return typeof value === "string" && value !== "" ? value : undefined;
}
