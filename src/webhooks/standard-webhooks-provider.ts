/**
 * @module webhooks/standard-webhooks-provider
 * Adapts the Standard Webhooks verifier to the pipeline's Verification, for every provider that
 * signs with it (Clerk now; Resend next). The delivery id is the `svix-id` / `webhook-id` header.
 */
import { standardWebhooksKeys, verifyStandardWebhook } from "../signatures/standard-webhooks";
import { type Verification, withSecret } from "./provider";
import { signatureRejections } from "./rejections";

export function verifyWithStandardWebhooks(
	env: Env,
	secretName: string,
	headers: Headers,
	rawBody: Uint8Array,
	nowSeconds: number,
): Promise<Verification> {
	return withSecret(env, secretName, async (setting) => {
		let keys: Awaited<ReturnType<typeof standardWebhooksKeys>>;
		try {
			keys = await standardWebhooksKeys(setting);
		} catch (error) {
			return { ok: false, rejection: "not_configured", detail: `${secretName}: ${(error as Error).message}` };
		}
		const result = await verifyStandardWebhook(keys, headers, rawBody, nowSeconds);
		if (!result.ok) return { ok: false, rejection: signatureRejections[result.reason], detail: result.reason };
		return { ok: true, deliveryId: result.id, sentAt: result.timestamp };
	});
}
