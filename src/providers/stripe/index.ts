/**
 * @module providers/stripe
 * Stripe: payments move orders, invoices and subscription events move subscriptions. Deliveries are
 * signed with `Stripe-Signature` (secret STRIPE_WEBHOOK_SECRET); the event id is the body's `id`.
 * Types we do not handle are acknowledged and recorded as ignored (Stripe disables endpoints that
 * answer 4xx to them).
 */
import { stripeKeys, verifyStripeSignature } from "../../signatures/stripe";
import { claimed, unreadable } from "../../validation";
import { type Interpretation, type Verification, type WebhookProvider, withSecret } from "../../webhooks/provider";
import { billingEventTypes, interpretBilling } from "./billing";
import { stripeEnvelope } from "./payload";
import { interpretPayment, paymentEventTypes } from "./payments";

const rejections = {
	missing_header: "missing_signature_headers",
	empty_body: "malformed_json",
	invalid_timestamp: "invalid_signature_timestamp",
	no_matching_signature: "signature_mismatch",
	timestamp_too_old: "timestamp_outside_tolerance",
	timestamp_too_new: "timestamp_outside_tolerance",
} as const;

function verify(headers: Headers, rawBody: Uint8Array, env: Env, nowSeconds: number): Promise<Verification> {
	return withSecret(env, "STRIPE_WEBHOOK_SECRET", async (setting) => {
		const signature = headers.get("stripe-signature");
		const result = await verifyStripeSignature(await stripeKeys(setting), signature, rawBody, nowSeconds);
		if (!result.ok) return { ok: false, rejection: rejections[result.reason], detail: result.reason };
		return { ok: true, sentAt: result.timestamp };
	});
}

function interpret(payload: unknown): Interpretation {
	const envelope = stripeEnvelope.safeParse(payload);
	if (!envelope.success) {
		return unreadable(claimed(payload, "id"), claimed(payload, "type") ?? "unknown", envelope.error, "envelope: ");
	}
	const { id, type, created, data } = envelope.data;
	const event = { id, type, eventAt: new Date(created * 1000), object: data.object };
	if (paymentEventTypes.has(type)) return interpretPayment(event);
	if (billingEventTypes.has(type)) return interpretBilling(event);
	return { kind: "ignore", eventId: id, eventType: type };
}

export const stripe: WebhookProvider = { name: "stripe", verify, interpret };
