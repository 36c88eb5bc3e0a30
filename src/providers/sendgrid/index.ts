/**
 * @module providers/sendgrid
 * SendGrid's Event Webhook: the body is an array of events (up to thousands), signed with ECDSA P-256
 * over `timestamp + body` (src/signatures/sendgrid.ts); the verification key is
 * SENDGRID_WEBHOOK_PUBLIC_KEY (base64 DER, from Mail Settings → Event Webhook → Signature
 * Verification). Every event of a request is recorded and applied in one transaction. Served at
 * /api/webhooks/email/sendgrid.
 */
import { SENDGRID_TOLERANCE_SECONDS, sendGridKeys, verifySendGridSignature } from "../../signatures/sendgrid";
import { type Verification, type WebhookProvider, withSecret } from "../../webhooks/provider";
import { signatureRejections } from "../../webhooks/rejections";
import { emailInterpretations } from "../email-provider";
import { readEmailEvents } from "./events";

function verify(headers: Headers, rawBody: Uint8Array, env: Env, nowSeconds: number): Promise<Verification> {
	return withSecret(env, "SENDGRID_WEBHOOK_PUBLIC_KEY", async (setting) => {
		let keys: CryptoKey[];
		try {
			keys = await sendGridKeys(setting);
		} catch (error) {
			return {
				ok: false,
				rejection: "not_configured",
				detail: `SENDGRID_WEBHOOK_PUBLIC_KEY: ${(error as Error).message}`,
			};
		}
		const result = await verifySendGridSignature(
			keys,
			headers.get("x-twilio-email-event-webhook-signature"),
			headers.get("x-twilio-email-event-webhook-timestamp"),
			rawBody,
			nowSeconds,
			SENDGRID_TOLERANCE_SECONDS,
		);
		if (!result.ok) return { ok: false, rejection: signatureRejections[result.reason], detail: result.reason };
		return { ok: true, sentAt: result.timestamp };
	});
}

export const sendgrid: WebhookProvider = {
	name: "sendgrid",
	path: "email/sendgrid",
	secrets: [
		{
			name: "SENDGRID_WEBHOOK_PUBLIC_KEY",
			description:
				"SendGrid Event Webhook verification key(s), base64 DER public keys; several may be given, separated by spaces or commas",
		},
	],
	verify,
	interpret: (payload) => emailInterpretations("sendgrid", readEmailEvents(payload, {})),
};
