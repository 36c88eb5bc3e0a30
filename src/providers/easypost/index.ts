/**
 * @module providers/easypost
 * EasyPost tracker events (`tracker.created`, `tracker.updated`): a parcel's carrier status, which
 * moves the shop's shipment and its order (src/domain/shipments.ts). Signed with
 * `X-Hmac-Signature` (src/signatures/easypost.ts), secret EASYPOST_WEBHOOK_SECRET (the webhook's
 * `webhook_secret`, https://docs.easypost.com/docs/webhooks); the event id is the body's `id`.
 * Other event kinds (`batch.updated`, `refund.successful`, …) are acknowledged and recorded
 * `ignored`. Served at /api/webhooks/shipping/easypost (and /api/webhooks/shipping when
 * SHIPPING_PROVIDER is easypost, the default).
 */
import { easypostKeys, verifyEasyPostSignature } from "../../signatures/easypost";
import { type Verification, type WebhookProvider, withSecret } from "../../webhooks/provider";
import { signatureRejections } from "../../webhooks/rejections";
import { shippingInterpretation } from "../shipping-provider";
import { readTrackingEvent } from "./events";

function verify(headers: Headers, rawBody: Uint8Array, env: Env): Promise<Verification> {
	return withSecret(env, "EASYPOST_WEBHOOK_SECRET", async (setting) => {
		const result = await verifyEasyPostSignature(await easypostKeys(setting), headers.get("x-hmac-signature"), rawBody);
		if (!result.ok) return { ok: false, rejection: signatureRejections[result.reason], detail: result.reason };
		return { ok: true };
	});
}

export const easypost: WebhookProvider = {
	name: "easypost",
	path: "shipping/easypost",
	secrets: [
		{
			name: "EASYPOST_WEBHOOK_SECRET",
			description:
				"EasyPost webhook secret(s), the webhook_secret its X-Hmac-Signature is made with; several separated by spaces or commas",
		},
	],
	verify,
	interpret: (payload, _verified, env) => shippingInterpretation("easypost", readTrackingEvent(payload), env),
};
