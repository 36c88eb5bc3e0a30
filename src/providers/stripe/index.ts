/**
 * @module providers/stripe
 * Stripe: payments and disputes move orders, invoices and subscription events move subscriptions. Deliveries are
 * signed with `Stripe-Signature` (secret STRIPE_WEBHOOK_SECRET); the event id is the body's `id`.
 * Types we do not handle are acknowledged and recorded as ignored (Stripe disables endpoints that
 * answer 4xx to them), as are events of connected accounts not listed in STRIPE_CONNECT_ACCOUNTS.
 */

import { type SQL, sql } from "drizzle-orm";
import { stripeCustomerUser } from "../../privacy";
import { stripeKeys, verifyStripeSignature } from "../../signatures/stripe";
import { asStorableId, claimed, unreadable } from "../../validation";
import { type Interpretation, type Verification, type WebhookProvider, withSecret } from "../../webhooks/provider";
import { signatureRejections } from "../../webhooks/rejections";
import { billingEventTypes, interpretBilling } from "./billing";
import { disputeEventTypes, fromDispute } from "./disputes";
import { stripeEnvelope, stripeType } from "./payload";
import { interpretPayment, paymentEventTypes } from "./payments";

function verify(headers: Headers, rawBody: Uint8Array, env: Env, nowSeconds: number): Promise<Verification> {
	return withSecret(env, "STRIPE_WEBHOOK_SECRET", async (setting) => {
		const signature = headers.get("stripe-signature");
		const result = await verifyStripeSignature(await stripeKeys(setting), signature, rawBody, nowSeconds);
		if (!result.ok) return { ok: false, rejection: signatureRejections[result.reason], detail: result.reason };
		return { ok: true, sentAt: result.timestamp };
	});
}

/** The connected accounts whose events apply (STRIPE_CONNECT_ACCOUNTS, separated by spaces or commas). */
function connectAccounts(env: Env): Set<string> {
	return new Set((env.STRIPE_CONNECT_ACCOUNTS ?? "").split(/[\s,]+/).filter(Boolean));
}

/**
 * The shop user any Stripe event is about, best effort, for the ledger (src/privacy.ts): its object's
 * `metadata.user_id`, else the user linked to its customer (a Customer object is its own customer).
 * The handled types that move orders name their subject more precisely (the order's buyer).
 */
function subjectOf(payload: unknown): SQL | undefined {
	const object = (payload as { data?: { object?: Record<string, unknown> } } | null)?.data?.object;
	if (!object || typeof object !== "object") return undefined;
	const metadata = (object.metadata ?? {}) as Record<string, unknown>;
	const userId = asStorableId(metadata.user_id) ?? asStorableId(metadata.clerk_user_id);
	const customer =
		object.object === "customer"
			? asStorableId(object.id)
			: (asStorableId(object.customer) ?? asStorableId((object.customer as { id?: unknown } | null)?.id));
	return userId || customer ? stripeCustomerUser(userId ?? null, customer ?? null) : undefined;
}

/**
 * Type first, then Connect, then shape: a type we do not handle (a v2 thin event, say) is `ignored`
 * whatever its shape, and so is an event of a connected account (`account`) not listed in
 * STRIPE_CONNECT_ACCOUNTS, so that its metadata can never move one of the platform's own orders.
 */
function interpret(payload: unknown, env: Env): Interpretation {
	const eventId = claimed(payload, "id");
	const subjectUserId = subjectOf(payload);
	const typed = stripeType.safeParse(payload);
	if (!typed.success) return { ...unreadable(eventId, "unknown", typed.error, "envelope: "), subjectUserId };
	const { type } = typed.data;
	if (!paymentEventTypes.has(type) && !billingEventTypes.has(type) && !disputeEventTypes.has(type))
		return { kind: "ignore", eventId, eventType: type, subjectUserId };
	const account = (payload as { account?: unknown }).account;
	if (account !== undefined && account !== null && !(typeof account === "string" && connectAccounts(env).has(account)))
		return { kind: "ignore", eventId, eventType: type, reason: "connect_account_not_listed", subjectUserId };
	const envelope = stripeEnvelope.safeParse(payload);
	if (!envelope.success) return { ...unreadable(eventId, type, envelope.error, "envelope: "), subjectUserId };
	const { id, created, data } = envelope.data;
	const event = { id, type, eventAt: new Date(created * 1000), object: data.object };
	const meaning = paymentEventTypes.has(type)
		? interpretPayment(event)
		: disputeEventTypes.has(type)
			? fromDispute(event)
			: interpretBilling(event);
	return { ...meaning, subjectUserId: eitherSubject(meaning.subjectUserId, subjectUserId) };
}

/** The handled type's own subject (an order's buyer), else the best-effort one of any event. */
function eitherSubject(own: string | SQL | undefined, fallback: SQL | undefined): string | SQL | undefined {
	if (own === undefined) return fallback;
	return fallback === undefined ? own : sql`coalesce((${own})::text, ${fallback})`;
}

export const stripe: WebhookProvider = {
	name: "stripe",
	path: "stripe",
	secrets: [
		{
			name: "STRIPE_WEBHOOK_SECRET",
			description:
				"Stripe endpoint secret(s), whsec_… (for `stripe listen`, the secret it prints); several may be given, separated by spaces or commas (rotation)",
		},
	],
	verify,
	interpret: (payload, _verified, env) => interpret(payload, env),
};
