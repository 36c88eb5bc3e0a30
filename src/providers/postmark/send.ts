/**
 * @module providers/postmark/send
 * Postmark's side, for `npm run send -- email postmark <kind>` (src/providers/sending.ts; never
 * imported by the Worker): one record per request, shaped like test/fixtures/payloads/postmark/ (field
 * sets of postmark.js's webhook payload types), with the HTTP Basic credentials Postmark sends from
 * the webhook URL's `user:password@` — the first pair of POSTMARK_WEBHOOK_BASIC_AUTH. Postmark signs
 * nothing. The shop's tags (`order_id`, `user_id`) go in `Metadata`. Postmark reports no `sent` and
 * no `delayed` event (a delay is a `Transient` bounce: see src/providers/postmark/events.ts).
 */
import { Buffer } from "node:buffer";
import { randomInt } from "node:crypto";
import {
	asUuid,
	demoMessageDigest,
	isoWithFraction,
	onlyEvent,
	type ProviderSender,
	type SendContext,
	type Template,
} from "../sending";

/** The demo message's `MessageID`, a UUID as Postmark's. */
const messageId = (to: string) => asUuid(demoMessageDigest("postmark", to));

const subject = "Your order order_demo_1 is confirmed";

/** What every record carries; the time field is the record type's own, with Postmark's 7 fractional digits. */
function common(recordType: string, context: SendContext) {
	return {
		RecordType: recordType,
		ServerID: 23,
		MessageStream: "outbound",
		MessageID: messageId(context.to),
		Tag: "order-confirmation",
		Metadata: { ...context.tags },
	};
}

/** Bounce `Type`s as Postmark's bounce API names them, with their `TypeCode`. */
const bounceTypes = {
	HardBounce: { TypeCode: 1, Name: "Hard bounce", Inactive: true, CanActivate: true },
	SoftBounce: { TypeCode: 4096, Name: "Soft bounce/Undeliverable", Inactive: false, CanActivate: false },
	SpamComplaint: { TypeCode: 100001, Name: "Spam complaint", Inactive: true, CanActivate: false },
	SMTPApiError: { TypeCode: 100007, Name: "SMTP API error", Inactive: false, CanActivate: false },
} as const;

/** A `Bounce` record (or a `SpamComplaint` one: the same fields) of `type`. */
function bounce(recordType: "Bounce" | "SpamComplaint", type: keyof typeof bounceTypes, description: string) {
	return (now: number, context: SendContext) => ({
		...common(recordType, context),
		// Postmark's bounce id is a 64-bit integer; a safe one here, so that it survives JSON.stringify
		ID: randomInt(1, 2 ** 47),
		Type: type,
		...bounceTypes[type],
		Description: description,
		Details: "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
		Email: context.to,
		From: "orders@shop.example",
		BouncedAt: isoWithFraction(now, 7),
		DumpAvailable: false,
		Subject: subject,
		Content: "",
	});
}

const engagement = {
	UserAgent: "Mozilla/5.0 (shop-webhooks send CLI)",
	OS: { Name: "OS X 10.15", Family: "OS X 10", Company: "Apple Computer, Inc." },
	Client: { Name: "Chrome 124.0", Family: "Chrome", Company: "Google" },
	Geo: { IP: "198.51.100.23", City: "Novi Sad", Country: "Serbia", CountryISOCode: "RS" },
};

/** The CLI's kinds (the normalised email kinds Postmark reports, and `soft_bounced`), each as a Postmark record. */
const templates: Record<string, Template> = {
	delivered: (now, context) => ({
		...common("Delivery", context),
		Recipient: context.to,
		DeliveredAt: isoWithFraction(now, 7),
		Details: "smtp;250 2.0.0 OK",
	}),
	bounced: bounce(
		"Bounce",
		"HardBounce",
		"The server was unable to deliver your message (ex: unknown user, mailbox not found).",
	),
	soft_bounced: bounce(
		"Bounce",
		"SoftBounce",
		"Unable to temporarily deliver this email (ex: the mailbox is full). Postmark stopped trying.",
	),
	complained: bounce("SpamComplaint", "SpamComplaint", "The subscriber explicitly marked this message as spam."),
	opened: (now, context) => ({
		...common("Open", context),
		FirstOpen: true,
		Recipient: context.to,
		ReceivedAt: isoWithFraction(now, 7),
		Platform: "WebMail",
		ReadSeconds: 5,
		...engagement,
	}),
	clicked: (now, context) => ({
		...common("Click", context),
		Recipient: context.to,
		ReceivedAt: isoWithFraction(now, 7),
		Platform: "Desktop",
		ClickLocation: "HTML",
		OriginalLink: "https://shop.example/orders/order_demo_1",
		...engagement,
	}),
	failed: bounce("Bounce", "SMTPApiError", "An error occurred while accepting an email through the SMTP API."),
};

export const sender: ProviderSender = {
	templates,
	recipient: true,
	signingSecret: { variable: "POSTMARK_WEBHOOK_BASIC_AUTH" },
	async sign(events, credentials, _now) {
		if (!credentials.includes(":")) throw new Error("Postmark's credentials are user:password");
		return {
			headers: { authorization: `Basic ${Buffer.from(credentials, "utf8").toString("base64")}` },
			body: JSON.stringify(onlyEvent(events)),
		};
	},
	describe: (event) => (typeof event.MessageID === "string" ? event.MessageID : undefined),
};
