/**
 * @module providers/sendgrid/send
 * SendGrid's side, for `npm run send -- email sendgrid <kind>` (src/providers/sending.ts; never
 * imported by the Worker): events shaped like test/fixtures/payloads/sendgrid/, posted as SendGrid
 * posts them, a JSON array of up to 1,000 events per request (`--count N` sends N events in as few
 * requests), signed with ECDSA P-256 over `timestamp + body`, the signature DER and base64, as
 * SendGrid's Signed Event Webhook.
 *
 * SendGrid signs with a private key only it holds; the Worker has the public key
 * (SENDGRID_WEBHOOK_PUBLIC_KEY). For local signing the repository ships a TEST key pair: the private
 * key in test/fixtures/keys/sendgrid-test-private-key.pem, its public key in .dev.vars.example. Test
 * key, local signing only, never production. The shop's tags (`order_id`, `user_id`) are custom
 * arguments, which SendGrid reports as top-level fields of every event.
 */
import { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
import { demoMessageDigest, type ProviderSender, type SendContext, type Template } from "../sending";

/** The repository's test private key, from its root: local signing only, never production. */
export const SENDGRID_TEST_PRIVATE_KEY_FILE = "test/fixtures/keys/sendgrid-test-private-key.pem";

/** Events per request, at most: 1,000 events stay well under the Worker's 1 MiB body limit. */
export const SENDGRID_BATCH_SIZE = 1000;

/** The demo message's `X-Message-Id`: 22 base64url characters, as SendGrid's send API answers. */
const xMessageId = (to: string) =>
	Buffer.from(demoMessageDigest("sendgrid", to), "hex").toString("base64url").slice(0, 22);

function event(type: string, now: number, context: SendContext, extra: Record<string, unknown> = {}) {
	const messageId = xMessageId(context.to);
	return {
		email: context.to,
		timestamp: Math.floor(now / 1000),
		"smtp-id": `<${messageId}@geopod-ismtpd-1>`,
		event: type,
		category: "order_confirmation",
		sg_event_id: randomBytes(16).toString("base64url"),
		sg_message_id: `${messageId}.filterdrecv-5645d9c87f-k6gxv-1-665C3B3D-1.0`,
		...context.tags,
		...extra,
	};
}

const engagement = { useragent: "Mozilla/5.0 (shop-webhooks send CLI)", ip: "198.51.100.23" };

/** The CLI's kinds (the normalised email kinds, and `soft_bounced`), each as SendGrid's `event`. */
const templates: Record<string, Template> = {
	sent: (now, context) => event("processed", now, context),
	delivered: (now, context) => event("delivered", now, context, { response: "250 OK", tls: 1 }),
	delayed: (now, context) =>
		event("deferred", now, context, { response: "421 4.7.0 Try again later", attempt: "1", tls: 1 }),
	bounced: (now, context) =>
		event("bounce", now, context, {
			reason: "550 5.1.1 The email account that you tried to reach does not exist.",
			status: "5.1.1",
			type: "bounce",
			bounce_classification: "Invalid Address",
		}),
	soft_bounced: (now, context) =>
		event("bounce", now, context, {
			reason: "550 5.7.1 Message rejected due to local policy",
			status: "5.7.1",
			type: "blocked",
			bounce_classification: "Reputation",
		}),
	complained: (now, context) => event("spamreport", now, context),
	opened: (now, context) => event("open", now, context, { ...engagement, sg_machine_open: false }),
	clicked: (now, context) =>
		event("click", now, context, {
			...engagement,
			url: "https://shop.example/orders/order_demo_1",
			url_offset: { index: 0, type: "html" },
		}),
	failed: (now, context) => event("dropped", now, context, { reason: "Bounced Address", status: "5.0.0" }),
};

/** A private key as PEM (`-----BEGIN PRIVATE KEY-----`, text around it ignored) or bare base64 PKCS#8 → DER. */
function pkcs8Der(key: string): Buffer {
	const pem = /-----BEGIN PRIVATE KEY-----([\s\S]*?)-----END PRIVATE KEY-----/.exec(key);
	const der = Buffer.from((pem?.[1] ?? key).replace(/\s+/g, ""), "base64");
	if (der.length === 0) throw new Error("not a PKCS#8 private key (PEM or base64)");
	return der;
}

const importedKeys = new Map<string, Promise<CryptoKey>>();

function signingKey(key: string): Promise<CryptoKey> {
	let imported = importedKeys.get(key);
	if (!imported) {
		imported = crypto.subtle.importKey("pkcs8", pkcs8Der(key), { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
		imported.catch(() => importedKeys.delete(key));
		importedKeys.set(key, imported);
	}
	return imported;
}

/** One DER INTEGER of an unsigned big-endian scalar: leading zeros dropped, a zero added when the top bit is set. */
function derInteger(scalar: Uint8Array): Buffer {
	let start = 0;
	while (start < scalar.length - 1 && scalar[start] === 0) start++;
	const bytes = scalar.subarray(start);
	const padded = (bytes[0] as number) & 0x80 ? Buffer.concat([Buffer.of(0), bytes]) : Buffer.from(bytes);
	return Buffer.concat([Buffer.of(0x02, padded.length), padded]);
}

/** Web Crypto's r‖s (IEEE P1363, 64 bytes) → the DER `ECDSA-Sig-Value` SendGrid sends. */
export function p1363ToDer(signature: Uint8Array): Buffer {
	const half = signature.length / 2;
	const body = Buffer.concat([derInteger(signature.subarray(0, half)), derInteger(signature.subarray(half))]);
	return Buffer.concat([Buffer.of(0x30, body.length), body]);
}

/** The body as SendGrid posts it: the events, CRLF between them and after the closing bracket. */
const batchBody = (events: Record<string, unknown>[]) => `[${events.map((e) => JSON.stringify(e)).join(",\r\n")}]\r\n`;

export const sender: ProviderSender = {
	templates,
	recipient: true,
	signingSecret: { file: SENDGRID_TEST_PRIVATE_KEY_FILE },
	batchSize: SENDGRID_BATCH_SIZE,
	async sign(events, privateKey, now) {
		const body = batchBody(events);
		const timestamp = String(Math.floor(now.getTime() / 1000));
		const signature = await crypto.subtle.sign(
			{ name: "ECDSA", hash: "SHA-256" },
			await signingKey(privateKey),
			new TextEncoder().encode(timestamp + body),
		);
		return {
			headers: {
				"x-twilio-email-event-webhook-signature": p1363ToDer(new Uint8Array(signature)).toString("base64"),
				"x-twilio-email-event-webhook-timestamp": timestamp,
			},
			body,
		};
	},
	describe: (event) => (typeof event.sg_message_id === "string" ? event.sg_message_id.split(".")[0] : undefined),
};
