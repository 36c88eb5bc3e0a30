/**
 * @module providers/sendgrid/events
 * SendGrid's Event Webhook body read into normalised email events (src/domain/email-events.ts). Pure.
 *
 * Protocol facts, and where they come from:
 * - The body is a JSON ARRAY of events, many per post (every example in
 *   twilio.com/docs/sendgrid/for-developers/tracking-events/event, from which
 *   test/fixtures/payloads/sendgrid/ was copied verbatim). One reading per element, in order.
 * - Each event: `event`, `email` (the recipient), `timestamp` (unix seconds), `sg_event_id` (the id to
 *   deduplicate on), `sg_message_id`, `smtp-id` (the Event Webhook reference).
 * - Events: `processed`, `dropped`, `delivered`, `deferred`, `bounce` (`type` `bounce` or `blocked`),
 *   `open`, `click`, `spamreport`, `unsubscribe`, `group_unsubscribe`, `group_resubscribe` (the notes;
 *   the reference). `blocked` is a refusal by the receiving server, not a bad address (the notes'
 *   pitfalls); `dropped` means SendGrid did not send (suppressed or invalid: the reference).
 * - Custom arguments (v3 `custom_args`, SMTP API `unique_args`) arrive as top-level keys of every event
 *   (twilio.com/docs/sendgrid/for-developers/sending-email/unique-arguments): `order_id`, `user_id`.
 *   Events carry no subject.
 * - `sg_event_id` is missing on some types (sendgrid/docs#2862: `unsubscribe`, `group_unsubscribe`,
 *   `group_resubscribe`; the notes' pitfalls). Such an event is keyed
 *   `${event}:${sg_message_id}:${timestamp}` instead (the whole `sg_message_id`, which is per recipient;
 *   never the address, which is personal data), when that fits the ledger's 255 characters.
 * - `sg_message_id` is the send API's `X-Message-Id` followed by `.` and a suffix (`filter…`, `recvd-…`)
 *   that can differ between events of one message (the notes' pitfalls; sendgrid/sendgrid-nodejs#412;
 *   Equal-Vote/bettervoting#1322). The message id is therefore the part before the first `.`: what the
 *   shop recorded when it sent, the same for every event of the message. (The reference's examples use
 *   an old dotted id, `14c5d75ce93.dfd.64b469`, of which that reads `14c5d75ce93`; current ids are 22
 *   base64url characters without dots.) Asynchronous bounces may carry an empty `sg_message_id` (the
 *   notes' pitfalls): then the id is read from `smtp-id`, `<X-Message-Id@host>` (sendgrid/sendgrid-python#558).
 *
 * | SendGrid `event`                                     | kind       | bounceType                              |
 * | ---------------------------------------------------- | ---------- | --------------------------------------- |
 * | `processed`                                          | sent       |                                         |
 * | `delivered`                                          | delivered  |                                         |
 * | `deferred`                                           | delayed    |                                         |
 * | `bounce`                                             | bounced    | soft when `type` is `blocked`, else hard |
 * | `dropped`                                            | failed     |                                         |
 * | `spamreport`                                         | complained |                                         |
 * | `open`                                               | opened     |                                         |
 * | `click`                                              | clicked    |                                         |
 * | `unsubscribe`, `group_unsubscribe`, `group_resubscribe`, anything else | null |                        |
 *
 * A `bounce` without `type` (or with a new one) is hard: SendGrid documents `type` as `bounce` or
 * `blocked`, and only `blocked` says the address itself is fine.
 */
import * as z from "zod/mini";
import type { BounceType, EmailEventKind } from "../../domain/email-events";
import { asStorableId, storableId, unixSeconds } from "../../validation";
import {
	derivedKey,
	type EmailReading,
	type EmailReadingContext,
	field,
	nonEmptyString,
	refusedEvent,
	shopTags,
	tagged,
	UNKNOWN_TYPE,
	unhandledEvent,
	unreadableEvent,
} from "../email-reading";

/** SendGrid's event types we handle, and what each means (a Map: `constructor` must find nothing). */
const kinds = new Map<string, EmailEventKind>([
	["processed", "sent"],
	["delivered", "delivered"],
	["deferred", "delayed"],
	["bounce", "bounced"],
	["dropped", "failed"],
	["spamreport", "complained"],
	["open", "opened"],
	["click", "clicked"],
]);

/** The first thing read: the event's type. */
const sendgridType = z.object({ event: z.string().check(z.minLength(1)) });

/** The event's own id, when it has one (checked alone: a bad timestamp must not hide a good id). */
const sendgridEventId = z.object({ sg_event_id: z.nullish(storableId) });

const sendgridEvent = z.extend(shopTags, {
	event: z.string(),
	timestamp: unixSeconds,
	email: z.nullish(storableId),
	sg_message_id: z.nullish(z.string()),
	"smtp-id": z.nullish(z.string()),
	type: z.nullish(z.string()),
});

/** The events of a verified SendGrid body: one reading per element of its array. */
export function readEmailEvents(payload: unknown, _context: EmailReadingContext): EmailReading[] {
	const batch = z.array(z.unknown()).safeParse(payload);
	if (!batch.success) return [unreadableEvent(undefined, UNKNOWN_TYPE, batch.error)];
	return batch.data.map(readEvent);
}

function readEvent(element: unknown): EmailReading {
	const typed = sendgridType.safeParse(element);
	const claimedType = nonEmptyString(field(element, "event")) ?? UNKNOWN_TYPE;
	if (!typed.success) return unreadableEvent(asStorableId(field(element, "sg_event_id")), claimedType, typed.error);
	const type = typed.data.event;
	const ownId = sendgridEventId.safeParse(element);
	if (!ownId.success) return unreadableEvent(undefined, type, ownId.error);
	const sgMessageId = nonEmptyString(field(element, "sg_message_id"));
	const timestamp = unixSeconds.safeParse(field(element, "timestamp"));
	const eventId =
		ownId.data.sg_event_id ??
		(sgMessageId && timestamp.success ? derivedKey([type, sgMessageId, String(timestamp.data)]) : undefined);
	if (eventId === undefined)
		return refusedEvent(
			undefined,
			type,
			"sg_event_id: missing, and no key can be derived (needs sg_message_id and timestamp, at most 255 characters together)",
		);
	const kind = kinds.get(type);
	if (kind === undefined)
		return unhandledEvent(
			eventId,
			type,
			sgMessageId ? messageOf(sgMessageId) : undefined,
			timestamp.success ? new Date(timestamp.data * 1000) : undefined,
		);
	const parsed = sendgridEvent.safeParse(element);
	if (!parsed.success) return unreadableEvent(eventId, type, parsed.error);
	const event = parsed.data;
	const messageId = asStorableId(
		event.sg_message_id
			? messageOf(event.sg_message_id)
			: event["smtp-id"]
				? messageOfSmtpId(event["smtp-id"])
				: undefined,
	);
	if (messageId === undefined)
		return refusedEvent(
			eventId,
			type,
			"sg_message_id: no message id (sg_message_id and smtp-id empty or missing, or longer than 255 characters)",
		);
	return {
		ok: true,
		event: {
			eventId,
			eventType: type,
			kind,
			messageId,
			at: new Date(event.timestamp * 1000),
			recipient: event.email || null,
			subject: null,
			bounceType: kind === "bounced" ? bounceType(event.type) : null,
			...tagged(event),
		},
	};
}

/** `X-Message-Id.filter…` → `X-Message-Id`: the part before the first `.`. */
const messageOf = (sgMessageId: string): string => sgMessageId.split(".", 1)[0] ?? sgMessageId;

/** `<X-Message-Id@host>` → `X-Message-Id`, read the same way as sg_message_id. */
const messageOfSmtpId = (smtpId: string): string => messageOf(smtpId.trim().replace(/^</, "").split("@", 1)[0] ?? "");

function bounceType(type: string | null | undefined): BounceType {
	return type === "blocked" ? "soft" : "hard";
}
