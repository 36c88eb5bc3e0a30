/**
 * @module providers/mailgun
 * Mailgun webhooks: the body is `{signature: {timestamp, token, signature}, "event-data": {…}}` and
 * the signature (HMAC-SHA256 with MAILGUN_WEBHOOK_SIGNING_KEY over `timestamp + token`,
 * src/signatures/mailgun.ts) does not cover `event-data`. So a timestamp more than 300 s away is
 * refused, and the token is accepted once (src/webhooks/nonces.ts): a captured signature carrying
 * forged data is refused (406, which Mailgun does not retry). Served at /api/webhooks/email/mailgun.
 */
import { mailgunKeys, verifyMailgunSignature } from "../../signatures/mailgun";
import { type Verification, type WebhookProvider, withSecret } from "../../webhooks/provider";
import { signatureRejections } from "../../webhooks/rejections";
import { emailInterpretations } from "../email-provider";
import { readEmailEvents } from "./events";

function verify(_headers: Headers, rawBody: Uint8Array, env: Env, nowSeconds: number): Promise<Verification> {
	return withSecret(env, "MAILGUN_WEBHOOK_SIGNING_KEY", async (setting) => {
		let body: unknown;
		try {
			body = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(rawBody));
		} catch {
			return { ok: false, rejection: "malformed_json", detail: "the body is not UTF-8 JSON" };
		}
		const signature = (body as { signature?: unknown } | null)?.signature;
		const result = await verifyMailgunSignature(await mailgunKeys(setting), signature, nowSeconds);
		if (!result.ok) return { ok: false, rejection: signatureRejections[result.reason], detail: result.reason };
		return { ok: true, sentAt: result.timestamp, nonce: result.token };
	});
}

export const mailgun: WebhookProvider = {
	name: "mailgun",
	path: "email/mailgun",
	secrets: [
		{
			name: "MAILGUN_WEBHOOK_SIGNING_KEY",
			description: "Mailgun HTTP webhook signing key(s) (Sending → Webhooks); several separated by spaces or commas",
		},
	],
	verify,
	interpret: (payload) => emailInterpretations("mailgun", readEmailEvents(payload, {})),
};
