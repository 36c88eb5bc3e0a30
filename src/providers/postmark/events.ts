/**
 * @module providers/postmark/events
 * Postmark's webhook body read into normalised email events (src/domain/email-events.ts). Pure.
 *
 * Protocol facts, and where they come from:
 * - One record per post, named by `RecordType`: `Delivery`, `Bounce`, `SpamComplaint`, `Open`,
 *   `Click`, `SubscriptionChange` (Postmark's webhook documentation; ActiveCampaign/postmark.js
 *   `src/client/models/webhooks/payload/*.ts`, whose field sets test/fixtures/payloads/postmark/ follows).
 * - Fields: `MessageID`; the recipient is `Recipient` (Delivery, Open, Click, SubscriptionChange) or
 *   `Email` (Bounce, SpamComplaint); `Subject` (Bounce, SpamComplaint only); `Metadata` (string
 *   values set at send time: `order_id`, `user_id`); the time is `DeliveredAt` (Delivery), `BouncedAt`
 *   (Bounce, SpamComplaint), `ReceivedAt` (Open, Click) or `ChangedAt` (SubscriptionChange), ISO 8601
 *   with up to 7 fractional digits (postmark.js payload types; the fixtures).
 * - Bounce `Type` values: postmark.js `BounceType` (src/client/models/bounces/Bounce.ts), described in
 *   Postmark's Bounce API "bounce types" table: `HardBounce` "unknown user, mailbox not found",
 *   `SoftBounce` "unable to temporarily deliver (mailbox full…)", `Transient` "message delayed",
 *   `DnsError` "a temporary DNS error", `BadEmailAddress` "not a valid email address", `SpamComplaint`
 *   "explicitly marked this message as spam", `AutoResponder`, `Unsubscribe`, `Subscribe`,
 *   `AddressChange`, `ChallengeVerification`… which are replies, not failures. Postmark itself
 *   deactivates an address on a hard bounce or a spam complaint (postmarkapp.com support, "What are
 *   bounces and spam complaints?").
 * - Bounce `ID` is a 64-bit integer that JSON.parse rounds (the notes' pitfalls): not read.
 *
 * **Event id.** Postmark sends no event id. The ledger key is derived from what identifies the record:
 * `${RecordType}:${MessageID}:${time}`, the time being the record type's own time field as received
 * (all its fractional digits, e.g. `Open:883953f4-6105-42a2-a16a-77a8eac79483:2019-11-05T16:33:54.9070259Z`).
 * A redelivery of the same record carries the same three values, so the same key; two opens of one
 * message differ by their time, and a delivery and a bounce by their record type. The key is never
 * hashed and never holds the address (personal data): `MessageID` is a UUID and the time at most 64
 * characters, so it fits the ledger's 255; a record whose parts would not fit (or hold NUL) is
 * `ok: false`. Limits: two records of one type, message and time are one event (two recipients of one
 * message delivered in the same instant: the shop sends one recipient per message); a record type we
 * do not handle is keyed by the first of the four time fields it carries.
 *
 * | Postmark `RecordType` (`Type`)                                                        | kind       | bounceType |
 * | ------------------------------------------------------------------------------------- | ---------- | ---------- |
 * | `Delivery`                                                                            | delivered  |            |
 * | `Bounce` (`HardBounce`, `BadEmailAddress`)                                            | bounced    | hard       |
 * | `Bounce` (`SoftBounce`, `Transient`, `DnsError`, `Blocked`, `DMARCPolicy`, `Unknown`, any new type) | bounced | soft |
 * | `Bounce` (`SpamComplaint`)                                                            | complained |            |
 * | `Bounce` (`SMTPApiError`, `TemplateRenderingFailed`)                                  | failed     |            |
 * | `Bounce` (`AutoResponder`, `Unsubscribe`, `Subscribe`, `AddressChange`, `SpamNotification`, `OpenRelayTest`, `VirusNotification`, `ChallengeVerification`, `ManuallyDeactivated`, `Unconfirmed`, `InboundError`) | null | |
 * | `SpamComplaint`                                                                       | complained |            |
 * | `Open`                                                                                | opened     |            |
 * | `Click`                                                                               | clicked    |            |
 * | `SubscriptionChange`, anything else                                                   | null       |            |
 *
 * Decisions: only a bounce Postmark calls permanent suppresses the address; `Blocked` and `DMARCPolicy`
 * are refusals of the sender, not of the address (as SendGrid's `blocked`), and `Unknown` or a type
 * Postmark adds later is counted as soft, never suppressing. A bounce record that is a reply
 * (auto-responder, subscription request…) says nothing about delivery: null. `SMTPApiError` and
 * `TemplateRenderingFailed` mean Postmark never sent the message: failed. `Transient` is a soft bounce
 * (Postmark names it "message delayed"; it stays in Postmark's bounce list).
 */
import * as z from "zod/mini";
import type { BounceType, EmailEventKind } from "../../domain/email-events";
import { asStorableId, storableId, storableText } from "../../validation";
import {
	derivedKey,
	type EmailReading,
	type EmailReadingContext,
	field,
	isoInstantText,
	nonEmptyString,
	parseInstant,
	refusedEvent,
	shopTags,
	tagged,
	UNKNOWN_TYPE,
	unhandledEvent,
	unreadableEvent,
} from "../email-reading";

type TimeField = "DeliveredAt" | "BouncedAt" | "ReceivedAt" | "ChangedAt";

/** Each record type's time field (postmark.js payload types), for the ones we handle and SubscriptionChange. */
const timeFields = new Map<string, TimeField>([
	["Delivery", "DeliveredAt"],
	["Bounce", "BouncedAt"],
	["SpamComplaint", "BouncedAt"],
	["Open", "ReceivedAt"],
	["Click", "ReceivedAt"],
	["SubscriptionChange", "ChangedAt"],
]);
/** The time fields a record type we do not know may carry, in the order they are tried for its key. */
const anyTimeField: readonly TimeField[] = ["DeliveredAt", "BouncedAt", "ReceivedAt", "ChangedAt"];

/** Record types we handle but `Bounce` (read from its `Type`). A Map: `constructor` finds nothing. */
const kinds = new Map<string, EmailEventKind>([
	["Delivery", "delivered"],
	["SpamComplaint", "complained"],
	["Open", "opened"],
	["Click", "clicked"],
]);

/** What a `Bounce` record means by its `Type`; a type not listed is a soft bounce. */
const bounceMeanings = new Map<string, { kind: EmailEventKind | null; bounceType: BounceType | null }>([
	...["HardBounce", "BadEmailAddress"].map((type) => [type, { kind: "bounced", bounceType: "hard" }] as const),
	["SpamComplaint", { kind: "complained", bounceType: null }],
	...["SMTPApiError", "TemplateRenderingFailed"].map((type) => [type, { kind: "failed", bounceType: null }] as const),
	...[
		"AutoResponder",
		"Unsubscribe",
		"Subscribe",
		"AddressChange",
		"SpamNotification",
		"OpenRelayTest",
		"VirusNotification",
		"ChallengeVerification",
		"ManuallyDeactivated",
		"Unconfirmed",
		"InboundError",
	].map((type) => [type, { kind: null, bounceType: null }] as const),
]);
const softBounce = { kind: "bounced", bounceType: "soft" } as const;

/** The first thing read: the record type. */
const postmarkType = z.object({ RecordType: z.string().check(z.minLength(1)) });

/** What the key of a record we handle is built from. */
const identity = <F extends TimeField>(timeField: F) =>
	z.object({ MessageID: storableId, ...({ [timeField]: isoInstantText } as Record<F, typeof isoInstantText>) });

const postmarkRecord = z.object({
	MessageID: storableId,
	Recipient: z.nullish(storableId),
	Email: z.nullish(storableId),
	Subject: z.nullish(storableText),
	Metadata: z.nullish(shopTags),
});
const postmarkBounce = z.object({ Type: z.string() });

/** The events of a verified Postmark body: always one. */
export function readEmailEvents(payload: unknown, _context: EmailReadingContext): EmailReading[] {
	return [readEvent(payload)];
}

/** The ledger key of a Postmark record (see the module's notes), or undefined when it would not fit. */
export function postmarkEventKey(recordType: string, messageId: string, time: string): string | undefined {
	return derivedKey([recordType, messageId, time]);
}

const keyTooLong =
	"MessageID: the event key (RecordType:MessageID:time) would be longer than 255 characters or hold NUL";

function readEvent(payload: unknown): EmailReading {
	const typed = postmarkType.safeParse(payload);
	if (!typed.success)
		return unreadableEvent(undefined, nonEmptyString(field(payload, "RecordType")) ?? UNKNOWN_TYPE, typed.error);
	const type = typed.data.RecordType;
	const kind = kinds.get(type);
	const timeField = timeFields.get(type);
	if (timeField === undefined || (kind === undefined && type !== "Bounce")) return readUnhandled(payload, type);

	const identified = identity(timeField).safeParse(payload);
	if (!identified.success) return unreadableEvent(undefined, type, identified.error);
	const messageId = identified.data.MessageID;
	const time = identified.data[timeField];
	const eventId = postmarkEventKey(type, messageId, time);
	if (eventId === undefined) return refusedEvent(undefined, type, keyTooLong);

	let meaning: { kind: EmailEventKind | null; bounceType: BounceType | null };
	if (type === "Bounce") {
		const bounce = postmarkBounce.safeParse(payload);
		if (!bounce.success) return unreadableEvent(eventId, type, bounce.error);
		meaning = bounceMeanings.get(bounce.data.Type) ?? softBounce;
	} else {
		meaning = { kind: kind ?? null, bounceType: null };
	}
	const at = parseInstant(time) as Date;
	if (meaning.kind === null) return unhandledEvent(eventId, type, messageId, at);
	const record = postmarkRecord.safeParse(payload);
	if (!record.success) return unreadableEvent(eventId, type, record.error);
	const { Recipient, Email, Subject, Metadata } = record.data;
	return {
		ok: true,
		event: {
			eventId,
			eventType: type,
			...meaning,
			messageId,
			at,
			recipient: Recipient ?? Email ?? null,
			subject: Subject ?? null,
			...tagged(Metadata),
		},
	};
}

/** A record type we do not handle: ok when its key can be built, whatever the rest of its shape. */
function readUnhandled(payload: unknown, type: string): EmailReading {
	const messageId = asStorableId(field(payload, "MessageID"));
	const timeField = timeFields.get(type) ?? anyTimeField.find((name) => typeof field(payload, name) === "string");
	const time = timeField === undefined ? undefined : field(payload, timeField);
	if (messageId === undefined || typeof time !== "string")
		return refusedEvent(
			undefined,
			type,
			"MessageID: no event key (a Postmark record is keyed by RecordType, MessageID and its time field, DeliveredAt, BouncedAt, ReceivedAt or ChangedAt)",
		);
	const eventId = postmarkEventKey(type, messageId, time);
	if (eventId === undefined) return refusedEvent(undefined, type, keyTooLong);
	return unhandledEvent(eventId, type, messageId, parseInstant(time));
}
