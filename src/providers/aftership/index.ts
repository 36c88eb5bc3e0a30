/**
 * @module providers/aftership
 * AfterShip Tracking webhooks (`tracking_update`): a parcel's carrier status, which moves the shop's
 * shipment and its order (src/domain/shipments.ts). Signed with `aftership-hmac-sha256` (or the older
 * `am-webhook-signature`, src/signatures/aftership.ts), secret AFTERSHIP_WEBHOOK_SECRET (Tracking →
 * Settings → Webhooks, https://www.aftership.com/docs/tracking/webhook/webhook-signature); the event id
 * is the body's `event_id`. Other event kinds (`edd_revise`, …) are acknowledged and recorded
 * `ignored`. Served at /api/webhooks/shipping/aftership (and /api/webhooks/shipping when
 * SHIPPING_PROVIDER is aftership).
 */
import { aftershipKeys, verifyAfterShipSignature } from "../../signatures/aftership";
import { type Verification, type WebhookProvider, withSecret } from "../../webhooks/provider";
import { signatureRejections } from "../../webhooks/rejections";
import { shippingInterpretation } from "../shipping-provider";
import { readTrackingEvent } from "./events";

function verify(headers: Headers, rawBody: Uint8Array, env: Env): Promise<Verification> {
	return withSecret(env, "AFTERSHIP_WEBHOOK_SECRET", async (setting) => {
		const result = await verifyAfterShipSignature(await aftershipKeys(setting), headers, rawBody);
		if (!result.ok) return { ok: false, rejection: signatureRejections[result.reason], detail: result.reason };
		return { ok: true };
	});
}

export const aftership: WebhookProvider = {
	name: "aftership",
	path: "shipping/aftership",
	secrets: [
		{
			name: "AFTERSHIP_WEBHOOK_SECRET",
			description:
				"AfterShip Tracking webhook secret(s) (Tracking → Settings → Webhooks); several separated by spaces or commas",
		},
	],
	verify,
	interpret: (payload, _verified, env) => shippingInterpretation("aftership", readTrackingEvent(payload), env),
};
