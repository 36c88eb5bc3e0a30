/**
 * What the send CLI and the benchmark know of each provider: its endpoint, its secret's name, its
 * event templates, and how it signs a body (with the provider's own reference library).
 */
import Stripe from "stripe";
import { Webhook } from "svix";
import { clerkId, clerkTemplates } from "./clerk.ts";
import { stripeTemplates } from "./stripe.ts";

export interface Sender {
	path: string;
	secretName: string;
	templates: Record<string, (now: number) => Record<string, unknown>>;
	/** Headers that sign `body` as the provider would. */
	sign(secret: string, body: string, now: Date): Record<string, string>;
}

const stripe = new Stripe("sk_test_unused");

export const senders: Record<string, Sender> = {
	clerk: {
		path: "/api/webhooks/clerk",
		secretName: "CLERK_WEBHOOK_SIGNING_SECRET",
		templates: clerkTemplates,
		sign(secret, body, now) {
			const id = clerkId("msg");
			return {
				"svix-id": id,
				"svix-timestamp": String(Math.floor(now.getTime() / 1000)),
				"svix-signature": new Webhook(secret).sign(id, now, body),
			};
		},
	},
	stripe: {
		path: "/api/webhooks/stripe",
		secretName: "STRIPE_WEBHOOK_SECRET",
		templates: stripeTemplates,
		sign(secret, body, now) {
			const timestamp = Math.floor(now.getTime() / 1000);
			return { "stripe-signature": stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp }) };
		},
	},
};
