/**
 * @module providers/resend/send
 * Resend's side, for `npm run send -- email resend <kind>` (src/providers/sending.ts; never imported
 * by the Worker): one event per request, shaped like test/fixtures/payloads/resend/, signed with
 * Standard Webhooks (Svix) and RESEND_WEBHOOK_SECRET as Resend signs, by the svix library. The
 * shop's tags (`order_id`, `user_id`) go in `data.tags`, an object as webhooks carry it.
 */
import {
	asText,
	asUuid,
	demoMessageDigest,
	onlyEvent,
	type ProviderSender,
	type SendContext,
	standardWebhooksHeaders,
	type Template,
} from "../sending";

/** The demo message's `email_id`, a UUID as Resend's. */
const emailId = (to: string) => asUuid(demoMessageDigest("resend", to));

function event(type: string, now: number, context: SendContext, extra: Record<string, unknown> = {}) {
	return {
		type,
		created_at: new Date(now).toISOString(),
		data: {
			created_at: new Date(now - 2_000).toISOString(),
			email_id: emailId(context.to),
			from: "Shop <orders@shop.example>",
			to: [context.to],
			subject: "Your order order_demo_1 is confirmed",
			tags: { category: "order_confirmation", ...context.tags },
			...extra,
		},
	};
}

const bounce = (type: "Permanent" | "Transient", subType: string, message: string) => ({
	bounce: { diagnosticCode: ["smtp; 550 5.1.1 user unknown"], message, subType, type },
});

/** The CLI's kinds (the normalised email kinds, and `soft_bounced`), each as Resend's event type. */
const templates: Record<string, Template> = {
	sent: (now, context) => event("email.sent", now, context),
	delivered: (now, context) => event("email.delivered", now, context),
	delayed: (now, context) => event("email.delivery_delayed", now, context),
	bounced: (now, context) =>
		event(
			"email.bounced",
			now,
			context,
			bounce("Permanent", "General", "The recipient's mail server permanently rejected the email."),
		),
	soft_bounced: (now, context) =>
		event(
			"email.bounced",
			now,
			context,
			bounce("Transient", "MailboxFull", "The recipient's mailbox is full; the email could not be delivered."),
		),
	complained: (now, context) => event("email.complained", now, context),
	opened: (now, context) => event("email.opened", now, context),
	clicked: (now, context) =>
		event("email.clicked", now, context, {
			click: {
				ipAddress: "198.51.100.23",
				link: "https://shop.example/orders/order_demo_1",
				timestamp: new Date(now).toISOString(),
				userAgent: "Mozilla/5.0 (shop-webhooks send CLI)",
			},
		}),
	failed: (now, context) => event("email.failed", now, context, { failed: { reason: "reached_daily_quota" } }),
};

export const sender: ProviderSender = {
	templates,
	recipient: true,
	signingSecret: { variable: "RESEND_WEBHOOK_SECRET" },
	async sign(events, secret, now) {
		const body = JSON.stringify(onlyEvent(events));
		return { headers: standardWebhooksHeaders(secret, body, now), body };
	},
	describe: (event) => asText((event.data as { email_id?: unknown } | undefined)?.email_id),
};
