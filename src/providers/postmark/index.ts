/**
 * @module providers/postmark
 * Postmark webhooks (`Delivery`, `Bounce`, `Open`, `Click`, `SpamComplaint`): Postmark signs nothing,
 * so the endpoint is protected with HTTP Basic credentials set in the webhook's URL
 * (`https://user:password@…`), POSTMARK_WEBHOOK_BASIC_AUTH (`user:password`, several separated by
 * spaces or commas for rotation), compared in constant time. Postmark events carry no event id: the
 * key is derived from the record type, message id and event time (src/providers/postmark/events.ts).
 * Served at /api/webhooks/email/postmark.
 */
import { verifyBasicAuth } from "../../signatures/basic-auth";
import { type Verification, type WebhookProvider, withSecret } from "../../webhooks/provider";
import { signatureRejections } from "../../webhooks/rejections";
import { emailInterpretations } from "../email-provider";
import { readEmailEvents } from "./events";

function verify(headers: Headers, _rawBody: Uint8Array, env: Env): Promise<Verification> {
	return withSecret(env, "POSTMARK_WEBHOOK_BASIC_AUTH", async (setting) => {
		const result = await verifyBasicAuth(headers.get("authorization"), setting);
		if (!result.ok) return { ok: false, rejection: signatureRejections[result.reason], detail: result.reason };
		return { ok: true };
	});
}

export const postmark: WebhookProvider = {
	name: "postmark",
	path: "email/postmark",
	secrets: [
		{
			name: "POSTMARK_WEBHOOK_BASIC_AUTH",
			description:
				"the user:password Postmark sends (set in the webhook URL as https://user:password@…); several separated by spaces or commas",
		},
	],
	verify,
	interpret: (payload) => emailInterpretations("postmark", readEmailEvents(payload, {})),
};
