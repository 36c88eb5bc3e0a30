/**
 * @module providers/sending
 * The other side of a provider, for local testing only: what each `src/providers/<name>/send.ts`
 * gives the send CLI (`npm run send`), the benchmark and the smoke run, which load it by the
 * provider's name from the registry (tools/send/providers.ts). It builds events shaped like the
 * provider's and signs them as the provider does. The Worker never imports this file nor any
 * send.ts: they are Node-side (and test) code that happens to live beside the provider it imitates.
 * Trust boundary: none; everything here is test data signed with test secrets.
 */
import { createHash, randomBytes } from "node:crypto";
import { Webhook } from "svix";

/** What the command line says about the events to build, for the templates that use it (email). */
export interface SendContext {
	/** The recipient (`--to`), by default the demo user of `npm run db:seed`. */
	to: string;
	/**
	 * The shop's tags or metadata a message carries (`order_id`, `user_id`), which each email provider
	 * puts where it carries them (Resend `tags`, SendGrid custom args, Postmark `Metadata`, Mailgun
	 * `user-variables`).
	 */
	tags: Record<string, string>;
	/**
	 * Shipping: the parcel's tracking number (`--tracking`) and its carrier as a lower-case key (`ups`,
	 * `usps`, `fedex`), which each carrier provider names its own way. Unset: the first demo shipment
	 * of `npm run db:seed` (tools/db/demo-shipments.ts).
	 */
	tracking?: { number: string; carrier: string };
}

/** Builds one fresh event; `now` in unix milliseconds. */
export type Template = (now: number, context: SendContext) => Record<string, unknown>;

/** One template per kind, each building its event with `event(kind, now, context)`. */
export function templatesOf<Kind extends string>(
	kinds: readonly Kind[],
	event: (kind: Kind, now: number, context: SendContext) => Record<string, unknown>,
): Record<Kind, Template> {
	return Object.fromEntries(
		kinds.map((kind): [Kind, Template] => [kind, (now, context) => event(kind, now, context)]),
	) as Record<Kind, Template>;
}

/** A request as the provider would send it. */
export interface SignedRequest {
	headers: Record<string, string>;
	body: string;
	/** Query parameters the request's URL carries (Shippo's secret token): secret, never printed. */
	query?: Record<string, string>;
}

/** Where the CLI finds the secret it signs with, when `--secret` does not give it. */
export type SigningSecret =
	/** The Worker's own variable (a shared secret): the environment, else `.dev.vars`. */
	| { variable: string; file?: undefined }
	/**
	 * A key only the provider holds (SendGrid's private key: the Worker has the public one), read from
	 * a file of the repository (a path from its root) that holds a TEST key.
	 */
	| { file: string; variable?: undefined };

export interface ProviderSender {
	/** Event templates by the CLI's `<type>`: each builds one fresh event. */
	templates: Record<string, Template>;
	signingSecret: SigningSecret;
	/** The templates write to `context.to` (email): the CLI's `--to` applies. */
	recipient?: boolean;
	/** The templates are about `context.tracking` (shipping): the CLI's `--tracking` applies. */
	tracking?: boolean;
	/**
	 * How many events one request may carry: 1 (the default) for providers that post one event per
	 * request; SendGrid posts arrays, and `--count N` sends N events in requests of up to this many.
	 */
	batchSize?: number;
	/** The request carrying `events` (one unless `batchSize`), signed with `secret` at `now` as the provider does. */
	sign(events: Record<string, unknown>[], secret: string, now: Date): Promise<SignedRequest>;
	/** What names an event in the CLI's output (its id, or the object or message it is about). */
	describe(event: Record<string, unknown>): string | undefined;
}

/** `value` when it is a string (for `describe`, which reads events `--set` may have edited). */
export const asText = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** The only event of a one-event request: a provider without `batchSize` gets exactly one. */
export function onlyEvent(events: Record<string, unknown>[]): Record<string, unknown> {
	if (events.length !== 1) throw new Error(`this provider posts one event per request, not ${events.length}`);
	return events[0] as Record<string, unknown>;
}

/** Random characters of `alphabet` (`count` of them). */
export function randomChars(count: number, alphabet: string): string {
	return Array.from(randomBytes(count), (byte) => alphabet[byte % alphabet.length]).join("");
}

export const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A Svix-style id (`msg_` + 27 base62 characters), as Clerk's and Resend's `svix-id`. */
export const svixId = () => `msg_${randomChars(27, base62)}`;

/** Headers that sign `body` with Standard Webhooks (Svix) as Clerk and Resend do, with the svix library itself. */
export function standardWebhooksHeaders(secret: string, body: string, now: Date): Record<string, string> {
	const id = svixId();
	return {
		"svix-id": id,
		"svix-timestamp": String(Math.floor(now.getTime() / 1000)),
		"svix-signature": new Webhook(secret).sign(id, now, body),
	};
}

/**
 * Hex digits that stand for "the demo message of `provider` to `to`": every event the CLI sends one
 * provider about one address is about the same message (its delivery, then its open…), so the rows
 * move as they would for a real email. `--set` gives another id.
 */
export function demoMessageDigest(provider: string, to: string): string {
	return createHash("sha256").update(`${provider}:${to.toLowerCase()}`).digest("hex");
}

/** `0123…` as a UUID (8-4-4-4-12), from 32 hex digits. */
export function asUuid(hex: string): string {
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** An ISO 8601 instant with `digits` fractional digits (Postmark sends 7): the milliseconds, then random digits. */
export function isoWithFraction(now: number, digits: number): string {
	const iso = new Date(now).toISOString(); // …:SS.mmmZ
	return `${iso.slice(0, -1)}${randomChars(Math.max(0, digits - 3), "0123456789")}Z`;
}
