/**
 * @module providers/resend/events
 * Resend's webhook body read into normalised email events (src/domain/email-events.ts). Pure: no I/O.
 *
 * Protocol facts, and where they come from:
 * - One event per delivery, signed with Standard Webhooks; the event has no id of its own in the body:
 *   its id is the delivery's `svix-id` header, which Svix keeps across retries of the same event
 *   (Standard Webhooks, as Resend signs with Svix), passed as
 *   `context.deliveryId`.
 * - Body `{type, created_at (ISO 8601), data: {email_id, from, to[], subject, tags, bounce?, click?,
 *   failed?, suppressed?}}` (the notes; resend-node `src/webhooks/interfaces/webhook-event.interface.ts`;
 *   resend.com/docs/webhooks/emails/delivered, from which test/fixtures/payloads/resend/ was built).
 *   `created_at` is when the event happened (resend.com/docs/webhooks/emails/bounced: "ISO 8601
 *   timestamp when the webhook event was created"); `data.created_at` is the email's, not the event's.
 * - Event types (resend.com/docs/webhooks/event-types; resend-node `WebhookEvent`): `email.sent` (the
 *   API accepted it), `email.delivered`, `email.delivery_delayed` ("couldn't be delivered due to a
 *   temporary issue"), `email.bounced` ("the recipient's mail server permanently rejected the email"),
 *   `email.complained`, `email.opened`, `email.clicked`, `email.failed` ("failed to send due to an
 *   error"), `email.suppressed` ("suppressed by Resend": not sent), and types we do not handle
 *   (`email.scheduled`, `email.received`, `contact.*`, `domain.*`, `suppression.*`, `inbox.*`, and
 *   whatever Resend adds: the notes' pitfalls say new types keep coming).
 * - `data.bounce.type` is SES's: `Permanent`, `Transient` or `Undetermined`
 *   (resend.com/docs/dashboard/emails/email-bounces; the fixture has `Permanent`/`Suppressed`).
 * - Webhook `tags` is an object (`{"order_id": "…"}`) although the send API takes an array of
 *   `{name, value}` (the notes' pitfalls; resend-node `tags?: Record<string, string>`): both are read.
 *
 * | Resend `type`            | kind       | bounceType                                                  |
 * | ------------------------ | ---------- | ----------------------------------------------------------- |
 * | `email.sent`             | sent       |                                                             |
 * | `email.delivered`        | delivered  |                                                             |
 * | `email.delivery_delayed` | delayed    |                                                             |
 * | `email.bounced`          | bounced    | soft when `bounce.type` is `Transient` or `Undetermined`, else hard |
 * | `email.complained`       | complained |                                                             |
 * | `email.opened`           | opened     |                                                             |
 * | `email.clicked`          | clicked    |                                                             |
 * | `email.failed`           | failed     |                                                             |
 * | `email.suppressed`       | failed     |                                                             |
 * | anything else            | null       |                                                             |
 *
 * A bounce is hard unless Resend says it is temporary or could not tell: Resend documents
 * `email.bounced` as a permanent rejection, so an absent `bounce` or a new `bounce.type` reads as
 * hard; `Undetermined` reads as soft, so that an unclassified bounce never suppresses an address.
 *
 * The recipient is `data.to[0]` when the email had exactly one recipient (a bare address, or the
 * address inside `Name <address>`); with several, an event does not say which one it concerns, so the
 * recipient is null (never suppress the wrong address).
 */
import * as z from "zod/mini";
import type { BounceType, EmailEventKind } from "../../domain/email-events";
import { asStorableId, storableId, storableText } from "../../validation";
import {
	type EmailReading,
	type EmailReadingContext,
	field,
	isoInstant,
	nonEmptyString,
	parseInstant,
	refusedEvent,
	shopTags,
	tagged,
	UNKNOWN_TYPE,
	unhandledEvent,
	unreadableEvent,
} from "../email-reading";

/** Resend's event types we handle, and what each means. A Map: a type such as `constructor` must not find anything. */
const kinds = new Map<string, EmailEventKind>([
	["email.sent", "sent"],
	["email.delivered", "delivered"],
	["email.delivery_delayed", "delayed"],
	["email.bounced", "bounced"],
	["email.complained", "complained"],
	["email.opened", "opened"],
	["email.clicked", "clicked"],
	["email.failed", "failed"],
	["email.suppressed", "failed"],
]);

/** SES's bounce types that are not permanent (resend.com/docs/dashboard/emails/email-bounces). */
const softBounceTypes = new Set(["Transient", "Undetermined"]);

/** The first thing read: the event's type. Only a type we handle has its shape checked. */
const resendType = z.object({ type: z.string().check(z.minLength(1)) });

/** `Name <address>` → `address`; a bare address as is. */
const bareAddress = (value: string): string => /<([^<>]+)>\s*$/.exec(value)?.[1]?.trim() ?? value.trim();

/** An address in `to`: an identifier (it finds users and suppressions), so what Postgres cannot hold is refused. */
const address = z.pipe(storableId, z.transform(bareAddress));

/** `tags` as webhooks send it (an object) or as the send API takes it (`[{name, value}]`), read as an object. */
const tags = z.pipe(
	z.union([z.array(z.object({ name: z.string(), value: z.unknown() })), z.record(z.string(), z.unknown())]),
	z.transform((value) =>
		Array.isArray(value) ? Object.fromEntries(value.map((tag) => [tag.name, tag.value])) : value,
	),
);

const resendEmailEvent = z.object({
	type: z.string(),
	created_at: isoInstant,
	data: z.object({
		email_id: storableId,
		to: z.array(address),
		subject: z.nullish(storableText),
		tags: z.nullish(z.pipe(tags, shopTags)),
		bounce: z.nullish(z.object({ type: z.nullish(z.string()) })),
	}),
});

/**
 * The events of a verified Resend body: always one. `context.deliveryId` is the delivery's `svix-id`
 * (the event id); without it (or with one the ledger cannot key: empty, over 255 characters, or
 * holding NUL) the reading is `ok: false`.
 */
export function readEmailEvents(payload: unknown, context: EmailReadingContext): EmailReading[] {
	return [readEvent(payload, asStorableId(context.deliveryId))];
}

function readEvent(payload: unknown, eventId: string | undefined): EmailReading {
	const typed = resendType.safeParse(payload);
	if (!typed.success)
		return unreadableEvent(eventId, nonEmptyString(field(payload, "type")) ?? UNKNOWN_TYPE, typed.error);
	const { type } = typed.data;
	if (eventId === undefined)
		return refusedEvent(
			undefined,
			type,
			"svix-id: the delivery has no event id the ledger can key (1 to 255 storable characters)",
		);
	const kind = kinds.get(type);
	if (kind === undefined) {
		const createdAt = field(payload, "created_at");
		const at = typeof createdAt === "string" ? parseInstant(createdAt) : undefined;
		return unhandledEvent(eventId, type, field(field(payload, "data"), "email_id"), at);
	}
	const parsed = resendEmailEvent.safeParse(payload);
	if (!parsed.success) return unreadableEvent(eventId, type, parsed.error);
	const { created_at: at, data } = parsed.data;
	return {
		ok: true,
		event: {
			eventId,
			eventType: type,
			kind,
			messageId: data.email_id,
			at,
			recipient: data.to.length === 1 ? data.to[0] || null : null,
			subject: data.subject ?? null,
			bounceType: kind === "bounced" ? bounceType(data.bounce?.type) : null,
			...tagged(data.tags),
		},
	};
}

function bounceType(type: string | null | undefined): BounceType {
	return type && softBounceTypes.has(type) ? "soft" : "hard";
}
