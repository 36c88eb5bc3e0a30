/**
 * @module providers
 * The registry: every provider this service receives, each one folder under src/providers/. The
 * Worker routes `/api/webhooks/<path>` through it, the send CLI and the tests read it. Adding a
 * provider is its folder plus one line here.
 */
import type { WebhookProvider } from "../webhooks/provider";
import { aftership } from "./aftership";
import { clerk } from "./clerk";
import { easypost } from "./easypost";
import { mailgun } from "./mailgun";
import { postmark } from "./postmark";
import { resend } from "./resend";
import { sendgrid } from "./sendgrid";
import { shippo } from "./shippo";
import { stripe } from "./stripe";

export const providers: readonly WebhookProvider[] = [
	clerk,
	stripe,
	resend,
	sendgrid,
	postmark,
	mailgun,
	easypost,
	aftership,
	shippo,
];

/**
 * Paths served for a provider chosen by a setting (`/api/webhooks/email` → EMAIL_PROVIDER's, default
 * resend; `/api/webhooks/shipping` → SHIPPING_PROVIDER's, default easypost): path → the setting's
 * name and its default.
 */
export const chosenProviders: Readonly<Record<string, { setting: string; fallback: string }>> = {
	email: { setting: "EMAIL_PROVIDER", fallback: "resend" },
	shipping: { setting: "SHIPPING_PROVIDER", fallback: "easypost" },
};
