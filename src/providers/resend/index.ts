/**
 * @module providers/resend
 * Resend email delivery events (`email.sent`, `email.delivered`, `email.bounced`…), one per delivery,
 * signed with Standard Webhooks (Svix) like Clerk: secret RESEND_WEBHOOK_SECRET (whsec_…), event id
 * the `svix-id` header. Served at /api/webhooks/email/resend.
 */
import type { WebhookProvider } from "../../webhooks/provider";
import { verifyWithStandardWebhooks } from "../../webhooks/standard-webhooks-provider";
import { emailInterpretations } from "../email-provider";
import { readEmailEvents } from "./events";

export const resend: WebhookProvider = {
	name: "resend",
	path: "email/resend",
	secrets: [
		{
			name: "RESEND_WEBHOOK_SECRET",
			description: "Resend webhook signing secret(s), whsec_…; several may be given, separated by spaces or commas",
		},
	],
	verify: (headers, rawBody, env, nowSeconds) =>
		verifyWithStandardWebhooks(env, "RESEND_WEBHOOK_SECRET", headers, rawBody, nowSeconds),
	interpret: (payload, verified) =>
		emailInterpretations(
			"resend",
			readEmailEvents(payload, verified.deliveryId === undefined ? {} : { deliveryId: verified.deliveryId }),
		),
};
