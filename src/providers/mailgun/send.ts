/**
 * @module providers/mailgun/send
 * Mailgun's side, for `npm run send -- email mailgun <kind>` (src/providers/sending.ts; never imported
 * by the Worker): one event per request, `{signature, "event-data"}` shaped like
 * test/fixtures/payloads/mailgun/, signed as Mailgun signs: a fresh random 50-character token each
 * time, `signature` = hex HMAC-SHA256 of `timestamp + token` with MAILGUN_WEBHOOK_SIGNING_KEY. The
 * signature does not cover `event-data`, so `--set` may edit anything but the signature block, which
 * is written last. The shop's tags (`order_id`, `user_id`) go in `user-variables`.
 */
import { createHmac, randomBytes } from "node:crypto";
import {
	base62,
	demoMessageDigest,
	onlyEvent,
	type ProviderSender,
	randomChars,
	type SendContext,
	type Template,
} from "../sending";

/** The demo message's `Message-Id` header, as Mailgun's (without angle brackets, as webhooks report it). */
function messageId(to: string) {
	const digest = demoMessageDigest("mailgun", to);
	return `${digest.slice(0, 16)}.${digest.slice(16, 24)}@mg.shop.example`;
}

function event(type: string, logLevel: string, now: number, context: SendContext, extra: Record<string, unknown>) {
	const domain = context.to.split("@")[1] ?? "";
	return {
		"event-data": {
			id: randomChars(22, base62),
			timestamp: now / 1000,
			"log-level": logLevel,
			event: type,
			recipient: context.to,
			"recipient-domain": domain,
			tags: ["order-confirmation"],
			campaigns: [],
			"user-variables": { ...context.tags },
			message: {
				headers: {
					to: context.to,
					"message-id": messageId(context.to),
					from: "Shop <orders@mg.shop.example>",
					subject: "Your order order_demo_1 is confirmed",
				},
				attachments: [],
				size: 4012,
			},
			flags: { "is-routed": false, "is-authenticated": true, "is-system-test": false, "is-test-mode": false },
			...extra,
		},
	};
}

const envelope = {
	transport: "smtp",
	sender: "orders@mg.shop.example",
	"sending-ip": "209.61.154.250",
};

function deliveryStatus(code: number, message: string, description = "") {
	return {
		"delivery-status": {
			"attempt-no": 1,
			code,
			message,
			description,
			"session-seconds": 0.4,
			tls: true,
			"mx-host": "mx.example.com",
		},
	};
}

/** Engagement events carry only the message id among the message's headers. */
function engagement(type: string, now: number, context: SendContext, extra: Record<string, unknown> = {}) {
	const built = event(type, "info", now, context, {
		ip: "198.51.100.23",
		geolocation: { country: "US", region: "CA", city: "San Francisco" },
		"client-info": {
			"client-os": "Linux",
			"device-type": "desktop",
			"client-name": "Chrome",
			"client-type": "browser",
			"user-agent": "Mozilla/5.0 (shop-webhooks send CLI)",
		},
		...extra,
	});
	return { "event-data": { ...built["event-data"], message: { headers: { "message-id": messageId(context.to) } } } };
}

/** The CLI's kinds (the normalised email kinds, and `soft_bounced`), each as Mailgun's event. */
const templates: Record<string, Template> = {
	sent: (now, context) => event("accepted", "info", now, context, { method: "http", envelope }),
	delivered: (now, context) =>
		event("delivered", "info", now, context, {
			envelope: { ...envelope, targets: context.to },
			...deliveryStatus(250, "OK"),
		}),
	// Mailgun keeps trying for up to 8 hours
	delayed: (now, context) =>
		event("failed", "warn", now, context, {
			severity: "temporary",
			reason: "generic",
			envelope: { ...envelope, targets: context.to },
			...deliveryStatus(452, "4.2.2 The email account that you tried to reach is over quota."),
		}),
	bounced: (now, context) =>
		event("failed", "error", now, context, {
			severity: "permanent",
			reason: "bounce",
			envelope: { ...envelope, targets: context.to },
			...deliveryStatus(550, "5.1.1 The email account that you tried to reach does not exist."),
		}),
	// the last attempt of a temporary failure: Mailgun gave up ("Too old")
	soft_bounced: (now, context) =>
		event("failed", "error", now, context, {
			severity: "temporary",
			reason: "old",
			envelope: { ...envelope, targets: context.to },
			...deliveryStatus(452, "4.2.2 The email account that you tried to reach is over quota.", "Too old"),
		}),
	complained: (now, context) => engagement("complained", now, context),
	opened: (now, context) => engagement("opened", now, context),
	clicked: (now, context) => engagement("clicked", now, context, { url: "https://shop.example/orders/order_demo_1" }),
	failed: (now, context) =>
		event("rejected", "warn", now, context, {
			reject: { reason: "Sandbox subdomains are for test purposes only", description: "" },
		}),
};

export const sender: ProviderSender = {
	templates,
	recipient: true,
	signingSecret: { variable: "MAILGUN_WEBHOOK_SIGNING_KEY" },
	async sign(events, signingKey, now) {
		const { signature: _replaced, ...rest } = onlyEvent(events);
		const timestamp = String(Math.floor(now.getTime() / 1000));
		const token = randomBytes(25).toString("hex");
		const signature = createHmac("sha256", signingKey)
			.update(timestamp + token)
			.digest("hex");
		return { headers: {}, body: JSON.stringify({ signature: { timestamp, token, signature }, ...rest }) };
	},
	describe: (event) => {
		const data = event["event-data"] as { message?: { headers?: { "message-id"?: unknown } } } | undefined;
		const id = data?.message?.headers?.["message-id"];
		return typeof id === "string" ? id : undefined;
	},
};
