/**
 * @module providers/shippo
 * Shippo `track_updated` webhooks: a parcel's carrier status, which moves the shop's shipment and its
 * order (src/domain/shipments.ts). Shippo's documented webhooks carry no signature, so the endpoint is
 * protected by a secret token in the URL registered with Shippo
 * (`https://…/api/webhooks/shipping/shippo?token=<SHIPPO_WEBHOOK_TOKEN>`), compared in constant time
 * (src/signatures/query-token.ts) and never logged. Shippo sends no event id: the key is derived
 * from the update's content (src/providers/shippo/events.ts). Other event kinds
 * (`transaction_created`, …) are acknowledged and recorded `ignored`. Served at
 * /api/webhooks/shipping/shippo (and /api/webhooks/shipping when SHIPPING_PROVIDER is shippo).
 */
import { verifyQueryToken } from "../../signatures/query-token";
import { type Verification, type WebhookProvider, withSecret } from "../../webhooks/provider";
import { signatureRejections } from "../../webhooks/rejections";
import { shippingInterpretation } from "../shipping-provider";
import { readTrackingEvent } from "./events";

function verify(
	_headers: Headers,
	_rawBody: Uint8Array,
	env: Env,
	_nowSeconds: number,
	url: URL,
): Promise<Verification> {
	return withSecret(env, "SHIPPO_WEBHOOK_TOKEN", async (setting) => {
		const result = await verifyQueryToken(url, setting);
		if (!result.ok) return { ok: false, rejection: signatureRejections[result.reason], detail: result.reason };
		return { ok: true };
	});
}

export const shippo: WebhookProvider = {
	name: "shippo",
	path: "shipping/shippo",
	secrets: [
		{
			name: "SHIPPO_WEBHOOK_TOKEN",
			description:
				"the secret token of the Shippo webhook URL (…/api/webhooks/shipping/shippo?token=…; URL-safe, e.g. openssl rand -hex 32); several separated by spaces or commas",
		},
	],
	verify,
	interpret: (payload, _verified, env) => shippingInterpretation("shippo", readTrackingEvent(payload), env),
};
