/**
 * @module providers
 * The registry: every provider this service receives, each one folder under src/providers/. The
 * Worker routes `/api/webhooks/<path>` through it, the send CLI and the tests read it. Adding a
 * provider is its folder plus one line here.
 */
import type { WebhookProvider } from "../webhooks/provider";
import { clerk } from "./clerk";
import { mailgun } from "./mailgun";
import { postmark } from "./postmark";
import { resend } from "./resend";
import { sendgrid } from "./sendgrid";
import { stripe } from "./stripe";

export const providers: readonly WebhookProvider[] = [clerk, stripe, resend, sendgrid, postmark, mailgun];

/**
 * Paths served for a provider chosen by a setting (`/api/webhooks/email` → EMAIL_PROVIDER's, default
 * resend): path → the setting's name and its default.
 */
export const chosenProviders: Readonly<Record<string, { setting: string; fallback: string }>> = {
	email: { setting: "EMAIL_PROVIDER", fallback: "resend" },
};
