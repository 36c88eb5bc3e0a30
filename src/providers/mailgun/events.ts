/**
 * @module providers/mailgun/events
 * Mailgun's webhook body read into normalised email events (src/domain/email-events.ts). Pure.
 * The `signature` block beside `event-data` is the verifier's business, not read here.
 *
 * Protocol facts, and where they come from:
 * - One event per post: `{signature: {timestamp, token, signature}, "event-data": {…}}`
 *   (Mailgun's "Webhook Payloads" docs, from
 *   which test/fixtures/payloads/mailgun/ was built, abridged: Mailgun says fields are additive).
 * - `event-data`: `id` (the event id; unique within a day, per the notes' pitfalls), `timestamp` (unix
 *   seconds with a fraction), `event`, `recipient`, `message.headers.message-id`, `message.headers.subject`
 *   (absent on engagement events), `user-variables` (the `v:` variables and `X-Mailgun-Variables` set at
 *   send time: `order_id`, `user_id`), and for `failed`: `severity` (`permanent` or `temporary`) and
 *   `reason` (the fixtures; the notes). The message id is read without angle brackets: the webhook's
 *   `message-id` has none (the fixtures), the send API's answer `{"id": "<…>"}` has them, and the shop
 *   may record either.
 * - Event types: `accepted` (queued for delivery), `rejected` (Mailgun refused to send), `delivered`,
 *   `failed`, `opened`, `clicked`, `unsubscribed`, `complained`, `stored` (Mailgun's Events API event
 *   types, documentation.mailgun.com; the notes list the webhook ones).
 * - `failed` with `severity: temporary` is retried by Mailgun for up to 8 hours; after the last attempt
 *   it gives up with the reason `old` ("Too old") (help.mailgun.com, "Will Mailgun retry my failed
 *   messages?"; Mailgun's feedback forum reports that final attempt still recorded `temporary` with
 *   reason `old`). Permanent failures are hard bounces by Mailgun's own classification
 *   (documentation.mailgun.com, "Tracking Failures"), and include `suppress-bounce` (not sent: the
 *   address bounced before), `suppress-unsubscribe` and `suppress-complaint` (not sent: the recipient
 *   unsubscribed or complained before) (Mailgun's stats counters `failed.permanent.{bounce,
 *   delayed-bounce, suppress-bounce, suppress-unsubscribe, suppress-complaint}`; the fixture's
 *   `suppress-bounce`, code 605 "Not delivering to previously bounced address").
 *
 * | Mailgun `event` (`severity`, `reason`)                        | kind       | bounceType |
 * | ------------------------------------------------------------- | ---------- | ---------- |
 * | `accepted`                                                    | sent       |            |
 * | `delivered`                                                   | delivered  |            |
 * | `failed` (`temporary`, any reason but `old`)                  | delayed    |            |
 * | `failed` (`temporary` or `permanent`, `old`)                  | bounced    | soft       |
 * | `failed` (`permanent`, `suppress-unsubscribe`/`suppress-complaint`) | failed |         |
 * | `failed` (`permanent`, any other reason or none)              | bounced    | hard       |
 * | `rejected`                                                    | failed     |            |
 * | `complained`                                                  | complained |            |
 * | `opened`                                                      | opened     |            |
 * | `clicked`                                                     | clicked    |            |
 * | `unsubscribed`, `stored`, anything else                       | null       |            |
 *
 * Decisions: a temporary failure is `delayed`, not a soft bounce: Mailgun is still trying (as SendGrid's
 * `deferred`, Resend's `email.delivery_delayed`); a message it gave up on (`old`) is a soft bounce: not
 * delivered, but nothing says the address is bad. `suppress-unsubscribe` and `suppress-complaint` are
 * `failed`: the message was not sent, and the address may be valid (a complaint was already reported
 * by its own event). `suppress-bounce` stays a hard bounce: the address did hard-bounce.
 */
import * as z from "zod/mini";
import type { EmailEvent, EmailEventKind } from "../../domain/email-events";
import { asStorableId, storableId, storableText } from "../../validation";
import {
	dateOfSeconds,
	type EmailReading,
	type EmailReadingContext,
	field,
	nonEmptyString,
	shopTags,
	tagged,
	UNKNOWN_TYPE,
	unhandledEvent,
	unixSecondsWithFraction,
	unreadableEvent,
} from "../email-reading";

/** Mailgun's event types we handle, but `failed` (read from its severity and reason). A Map: `constructor` finds nothing. */
const kinds = new Map<string, EmailEventKind>([
	["accepted", "sent"],
	["delivered", "delivered"],
	["rejected", "failed"],
	["complained", "complained"],
	["opened", "opened"],
	["clicked", "clicked"],
]);

/** Permanent failures of a message that was never sent, to an address that may be valid. */
const notSentReasons = new Set(["suppress-unsubscribe", "suppress-complaint"]);

/** The first thing read: the event's type. */
const mailgunType = z.object({ "event-data": z.object({ event: z.string().check(z.minLength(1)) }) });

/** The event's id, checked alone (a bad timestamp must not hide a good id). */
const mailgunEventId = z.object({ "event-data": z.object({ id: storableId }) });

/**
 * The message id: the `Message-Id` header, which Mailgun's send API answers in angle brackets
 * (`<20130503182626.18666.16540@sandbox.mailgun.org>`) and webhooks report without them: read without.
 */
const messageIdHeader = z.pipe(
	storableId,
	z.pipe(
		z.transform((value: string) => value.replace(/^\s*<(.*)>\s*$/, "$1").trim()),
		storableId,
	),
);

const mailgunEvent = z.object({
	"event-data": z.object({
		event: z.string(),
		id: storableId,
		timestamp: unixSecondsWithFraction,
		recipient: z.nullish(storableId),
		message: z.object({
			headers: z.object({ "message-id": messageIdHeader, subject: z.nullish(storableText) }),
		}),
		"user-variables": z.nullish(shopTags),
	}),
});

const mailgunFailure = z.object({
	"event-data": z.object({
		severity: z.enum(["permanent", "temporary"]),
		reason: z.nullish(z.string()),
	}),
});

/** The events of a verified Mailgun body: always one. */
export function readEmailEvents(payload: unknown, _context: EmailReadingContext): EmailReading[] {
	return [readEvent(payload)];
}

function readEvent(payload: unknown): EmailReading {
	const data = field(payload, "event-data");
	const typed = mailgunType.safeParse(payload);
	if (!typed.success)
		return unreadableEvent(
			asStorableId(field(data, "id")),
			nonEmptyString(field(data, "event")) ?? UNKNOWN_TYPE,
			typed.error,
		);
	const type = typed.data["event-data"].event;
	const id = mailgunEventId.safeParse(payload);
	if (!id.success) return unreadableEvent(undefined, type, id.error);
	const eventId = id.data["event-data"].id;
	if (type !== "failed" && !kinds.has(type)) {
		const timestamp = unixSecondsWithFraction.safeParse(field(data, "timestamp"));
		const messageId = messageIdHeader.safeParse(field(field(field(data, "message"), "headers"), "message-id"));
		return unhandledEvent(
			eventId,
			type,
			messageId.success ? messageId.data : undefined,
			timestamp.success ? dateOfSeconds(timestamp.data) : undefined,
		);
	}
	const parsed = mailgunEvent.safeParse(payload);
	if (!parsed.success) return unreadableEvent(eventId, type, parsed.error);
	const event = parsed.data["event-data"];
	let meaning: Pick<EmailEvent, "kind" | "bounceType">;
	if (type === "failed") {
		const failure = mailgunFailure.safeParse(payload);
		if (!failure.success) return unreadableEvent(eventId, type, failure.error);
		meaning = failureMeaning(failure.data["event-data"]);
	} else {
		meaning = { kind: kinds.get(type) ?? null, bounceType: null };
	}
	return {
		ok: true,
		event: {
			eventId,
			eventType: type,
			...meaning,
			messageId: event.message.headers["message-id"],
			at: dateOfSeconds(event.timestamp),
			recipient: event.recipient ?? null,
			subject: event.message.headers.subject ?? null,
			...tagged(event["user-variables"]),
		},
	};
}

/** What a `failed` event means (see the table above). */
function failureMeaning(
	failure: z.infer<typeof mailgunFailure>["event-data"],
): Pick<EmailEvent, "kind" | "bounceType"> {
	if (failure.reason === "old") return { kind: "bounced", bounceType: "soft" };
	if (failure.severity === "temporary") return { kind: "delayed", bounceType: null };
	if (failure.reason && notSentReasons.has(failure.reason)) return { kind: "failed", bounceType: null };
	return { kind: "bounced", bounceType: "hard" };
}
