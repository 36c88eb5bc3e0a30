/**
 * @module providers/stripe
 * Stripe: payments move orders, invoices and subscription events move subscriptions. Deliveries are
 * signed with `Stripe-Signature` (secret STRIPE_WEBHOOK_SECRET); the event id is the body's `id`.
 * Types we do not handle are acknowledged and recorded as ignored (Stripe disables endpoints that
 * answer 4xx to them).
 */
import { stripeKeys, verifyStripeSignature } from "../../signatures/stripe";
import { describeIssues } from "../../validation";
import type { Interpretation, Verification, WebhookProvider } from "../../webhooks/provider";
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

async function verify(headers: Headers, rawBody: Uint8Array, env: Env, nowSeconds: number): Promise<Verification> {
	const setting = env.STRIPE_WEBHOOK_SECRET;
	if (!setting?.trim()) return { ok: false, rejection: "not_configured", detail: "STRIPE_WEBHOOK_SECRET is not set" };
	const result = await verifyStripeSignature(
		await stripeKeys(setting),
		headers.get("stripe-signature"),
		rawBody,
		nowSeconds,
	);
	if (!result.ok) return { ok: false, rejection: rejections[result.reason], detail: result.reason };
	return { ok: true, sentAt: result.timestamp };
}

function interpret(payload: unknown): Interpretation {
	const envelope = stripeEnvelope.safeParse(payload);
	if (!envelope.success) {
		const { id, type } = (payload ?? {}) as { id?: unknown; type?: unknown };
		return {
			kind: "fail",
			eventId: typeof id === "string" && id ? id : undefined,
			eventType: typeof type === "string" && type ? type : "unknown",
			reason: `envelope: ${describeIssues(envelope.error)}`,
		};
	}
	const { id, type, created, data } = envelope.data;
	const event = { id, type, eventAt: new Date(created * 1000), object: data.object };
	if (paymentEventTypes.has(type)) return interpretPayment(event);
	if (billingEventTypes.has(type)) return interpretBilling(event);
	return { kind: "ignore", eventId: id, eventType: type };
}

export const stripe: WebhookProvider = { name: "stripe", verify, interpret };
