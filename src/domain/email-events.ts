/**
 * @module domain/email-events
 * An email delivery event as every email provider's module reports it, normalised (issue 9): what
 * happened to which message, when. Providers map their own vocabulary onto these kinds
 * (src/providers/<name>/events.ts); src/domain/emails.ts applies them.
 */

/** What happened to a message, across providers. */
export const emailEventKinds = [
	"sent",
	"delivered",
	"delayed",
	"bounced",
	"complained",
	"opened",
	"clicked",
	"failed",
] as const;
export type EmailEventKind = (typeof emailEventKinds)[number];

/** `hard`: the address does not exist or refuses mail for good; `soft`: a temporary refusal. */
export type BounceType = "hard" | "soft";

export interface EmailEvent {
	/**
	 * The ledger's event id: the provider's own event id (SendGrid `sg_event_id`, Mailgun
	 * `event-data.id`, Resend the delivery's `svix-id`), or a key derived from what identifies the
	 * event when the provider gives none (Postmark: record type, message id, event time).
	 */
	eventId: string;
	/** The provider's event name as received (`email.bounced`, `bounce`, `Bounce`…), for the ledger's `event_type`. */
	eventType: string;
	/** null when the provider's event is one we do not handle (the ledger records it `ignored`). */
	kind: EmailEventKind | null;
	/** The provider's id for the message (unique per provider). */
	messageId: string;
	/** When the provider says it happened. */
	at: Date;
	/** The address the message went to, as given (the domain lower-cases it). */
	recipient: string | null;
	subject: string | null;
	/** For `bounced` only. */
	bounceType: BounceType | null;
	/** From the message's tags or metadata, when the shop set them. */
	orderId: string | null;
	userId: string | null;
}
