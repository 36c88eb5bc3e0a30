/**
 * Test helper for the email providers (issue 9) through the Worker's own fetch: requests signed as
 * each provider signs them (Resend with svix, the reference library; SendGrid with ECDSA P-256 over
 * `timestamp + body`, a DER signature; Postmark's Basic credentials; Mailgun's HMAC of
 * `timestamp + token` in the body), events built from the example payloads
 * (test/fixtures/payloads/<provider>/) with the ids and addresses of a test's own namespace, bindings
 * with a secret changed or removed, and the rows an email event leaves (email_messages,
 * email_suppressions, users, webhook_events).
 *
 * A namespace (`emailNamespace()`) is lower-case and goes into every id and address a test uses, so
 * that tests never share rows and `writtenUnder(ns)` reads everything a test could have written.
 */
import { env } from "cloudflare:test";
import mailgunDelivered from "@fixtures/payloads/mailgun/delivered.json";
import mailgunFailedPermanent from "@fixtures/payloads/mailgun/failed-permanent.json";
import mailgunOpened from "@fixtures/payloads/mailgun/opened.json";
import postmarkBounce from "@fixtures/payloads/postmark/Bounce.json";
import postmarkDelivery from "@fixtures/payloads/postmark/Delivery.json";
import postmarkOpen from "@fixtures/payloads/postmark/Open.json";
import resendDelivered from "@fixtures/payloads/resend/email.delivered.json";
import sendgridDelivered from "@fixtures/payloads/sendgrid/delivered.json";
import { sql } from "drizzle-orm";
import { Webhook } from "svix";
import { emailMessages, emailSuppressions } from "../../src/db/schema";
import { uniqueId } from "./clerk";
import { testDb } from "./rows";
import { mailgunSigningKey, postmarkCredentials, resendSecret, sendgridPrivateKey, sendgridPublicKey } from "./secrets";

export type EmailProviderName = "resend" | "sendgrid" | "postmark" | "mailgun";
export const emailProviderNames: EmailProviderName[] = ["resend", "sendgrid", "postmark", "mailgun"];

/** Each provider's endpoint, and the secret (binding) it reads. */
export const emailEndpoints: Record<EmailProviderName, { path: string; secret: string }> = {
	resend: { path: "/api/webhooks/email/resend", secret: "RESEND_WEBHOOK_SECRET" },
	sendgrid: { path: "/api/webhooks/email/sendgrid", secret: "SENDGRID_WEBHOOK_PUBLIC_KEY" },
	postmark: { path: "/api/webhooks/email/postmark", secret: "POSTMARK_WEBHOOK_BASIC_AUTH" },
	mailgun: { path: "/api/webhooks/email/mailgun", secret: "MAILGUN_WEBHOOK_SIGNING_KEY" },
};

const url = (path: string) => `http://shop.test${path}`;

/** A fresh lower-case namespace (`em_<hex>N`): addresses are stored lower-cased. */
export const emailNamespace = () => uniqueId("em").toLowerCase();

/** `<ns>.<local>@<domain>`: an address of namespace `ns`. */
export const addressIn = (ns: string, local = "ada", domain = "example.org") => `${ns}.${local}@${domain}`;

// ——— bindings ———

/** The test Worker's bindings with some settings changed (a string) or removed (undefined). */
export function withSettings(settings: Record<string, string | undefined>, bindings: Env = env): Env {
	const changed: Record<string, unknown> = { ...bindings };
	for (const [name, value] of Object.entries(settings)) {
		if (value === undefined) delete changed[name];
		else changed[name] = value;
	}
	return changed as unknown as Env;
}

// ——— bytes ———

function base64(bytes: Uint8Array): string {
	let binary = "";
	for (const byte of bytes) binary += String.fromCharCode(byte);
	return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
	return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
const utf8 = (text: string) => new TextEncoder().encode(text);
const bodyText = (body: unknown) => (typeof body === "string" ? body : JSON.stringify(body));

// ——— Resend: Standard Webhooks (svix) ———

export interface ResendSignOptions {
	secret?: string;
	/** The `svix-id` (the ledger's event id); defaults to a fresh one. */
	id?: string;
	/** When Resend signed it; defaults to now. */
	at?: Date;
	path?: string;
}

/** A POST to Resend's endpoint, signed by svix as Resend signs it. The event id is its `svix-id` header. */
export function resendRequest(body: unknown, options: ResendSignOptions = {}): Request {
	const text = bodyText(body);
	const id = options.id ?? uniqueId("msg");
	const at = options.at ?? new Date();
	const signature = new Webhook(options.secret ?? resendSecret).sign(id, at, text);
	return new Request(url(options.path ?? emailEndpoints.resend.path), {
		method: "POST",
		headers: {
			"content-type": "application/json",
			"svix-id": id,
			"svix-timestamp": String(Math.floor(at.getTime() / 1000)),
			"svix-signature": signature,
		},
		body: text,
	});
}

export interface ResendSpec {
	type: string;
	emailId: string;
	/** One address, several, or none. */
	to: string | string[];
	/** `created_at` (when the event happened). */
	at: string;
	subject?: string | null;
	tags?: Record<string, unknown> | { name: string; value: unknown }[];
	/** `data.bounce.type` (SES's Permanent, Transient, Undetermined). */
	bounceType?: string;
}

/** A Resend event shaped like test/fixtures/payloads/resend/email.delivered.json. */
export function resendEvent(spec: ResendSpec): Record<string, unknown> {
	const event = structuredClone(resendDelivered) as Record<string, unknown> & { data: Record<string, unknown> };
	event.type = spec.type;
	event.created_at = spec.at;
	event.data.email_id = spec.emailId;
	event.data.to = typeof spec.to === "string" ? [spec.to] : spec.to;
	if (spec.subject !== undefined) event.data.subject = spec.subject;
	if (spec.tags !== undefined) event.data.tags = spec.tags;
	if (spec.bounceType !== undefined)
		event.data.bounce = { message: "bounced", subType: "General", type: spec.bounceType };
	return event;
}

/** A Resend example payload in namespace `ns`: its email id and every address of `to` carry it. */
export function namespacedResend(fixture: unknown, ns: string): Record<string, unknown> & { data: ResendData } {
	const event = structuredClone(fixture) as Record<string, unknown> & { data: ResendData };
	event.data.email_id = `${ns}-${event.data.email_id}`;
	event.data.to = event.data.to.map((address) => `${ns}.${address}`);
	return event;
}
interface ResendData extends Record<string, unknown> {
	email_id: string;
	to: string[];
}

// ——— SendGrid: ECDSA P-256, DER signature over timestamp + body ———

let testPrivateKey: Promise<CryptoKey> | undefined;

/** The private key of the test key pair whose public key the test Worker has (SENDGRID_WEBHOOK_PUBLIC_KEY). */
export function sendgridTestPrivateKey(): Promise<CryptoKey> {
	testPrivateKey ??= crypto.subtle.importKey(
		"pkcs8",
		fromBase64(sendgridPrivateKey),
		{ name: "ECDSA", namedCurve: "P-256" },
		false,
		["sign"],
	);
	return testPrivateKey;
}

/** A fresh P-256 key pair: its private key, and its public key as SendGrid shows it (base64 DER SPKI). */
export async function newSendgridKeyPair(): Promise<{ privateKey: CryptoKey; publicKey: string }> {
	const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
		"sign",
		"verify",
	])) as CryptoKeyPair;
	const spki = new Uint8Array((await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer);
	return { privateKey: pair.privateKey, publicKey: base64(spki) };
}

/** A DER INTEGER of an unsigned big-endian scalar (minimal: no leading zeros, one added before a high bit). */
function derInteger(scalar: Uint8Array): number[] {
	let start = 0;
	while (start < scalar.length - 1 && scalar[start] === 0) start += 1;
	const bytes = [...scalar.subarray(start)];
	if ((bytes[0] as number) & 0x80) bytes.unshift(0);
	return [0x02, bytes.length, ...bytes];
}

/** Web Crypto's P1363 `r‖s` as the DER `ECDSA-Sig-Value` SendGrid sends. */
export function p1363ToDer(signature: Uint8Array): Uint8Array {
	const content = [...derInteger(signature.subarray(0, 32)), ...derInteger(signature.subarray(32, 64))];
	return new Uint8Array([0x30, content.length, ...content]);
}

export interface SendgridSignOptions {
	privateKey?: CryptoKey;
	/** The timestamp header (unix seconds); defaults to now. */
	timestamp?: number;
	path?: string;
}

/** The signature header SendGrid would send for `body` at `timestamp`. */
export async function sendgridSignature(body: string, timestamp: number, privateKey?: CryptoKey): Promise<string> {
	const key = privateKey ?? (await sendgridTestPrivateKey());
	const signed = utf8(`${timestamp}${body}`);
	const p1363 = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key, signed));
	return base64(p1363ToDer(p1363));
}

/** A POST to SendGrid's endpoint carrying `events` (an array, or any body text), signed as SendGrid signs it. */
export async function sendgridRequest(events: unknown, options: SendgridSignOptions = {}): Promise<Request> {
	const text = bodyText(events);
	const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
	return new Request(url(options.path ?? emailEndpoints.sendgrid.path), {
		method: "POST",
		headers: {
			"content-type": "application/json",
			"x-twilio-email-event-webhook-signature": await sendgridSignature(text, timestamp, options.privateKey),
			"x-twilio-email-event-webhook-timestamp": String(timestamp),
		},
		body: text,
	});
}

export interface SendgridSpec {
	event: string;
	/** `sg_event_id`; null leaves it out. */
	eventId: string | null;
	/** The X-Message-Id: `sg_message_id` is it followed by a `.filter…` suffix. */
	messageId: string;
	to: string;
	/** unix seconds */
	at: number;
	/** `type` of a bounce: `bounce` (hard) or `blocked` (soft). */
	bounceType?: "bounce" | "blocked";
	/** Custom arguments (order_id, user_id) and any other field. */
	extra?: Record<string, unknown>;
}

/** A SendGrid event shaped like test/fixtures/payloads/sendgrid/delivered.json. */
export function sendgridEvent(spec: SendgridSpec): Record<string, unknown> {
	const [template] = structuredClone(sendgridDelivered) as Record<string, unknown>[];
	const event: Record<string, unknown> = { ...template };
	delete event.response;
	event.event = spec.event;
	event.email = spec.to;
	event.timestamp = spec.at;
	event["smtp-id"] = `<${spec.messageId}@ismtpd-555>`;
	event.sg_message_id = `${spec.messageId}.filter0001.16648.5515E0B88.0`;
	if (spec.eventId === null) delete event.sg_event_id;
	else event.sg_event_id = spec.eventId;
	if (spec.event === "bounce") {
		event.type = spec.bounceType ?? "bounce";
		event.reason = "500 unknown recipient";
		event.status = "5.0.0";
	}
	return { ...event, ...spec.extra };
}

/**
 * A SendGrid example payload (an array) in namespace `ns`: `sg_event_id`, the X-Message-Id (before
 * the first `.` of `sg_message_id` and in `smtp-id`) and the address carry it.
 */
export function namespacedSendgrid(fixture: unknown, ns: string): Record<string, unknown>[] {
	return (structuredClone(fixture) as Record<string, unknown>[]).map((event) => ({
		...event,
		sg_event_id: `${ns}-${event.sg_event_id}`,
		sg_message_id: `${ns}${event.sg_message_id}`,
		"smtp-id": String(event["smtp-id"]).replace("<", `<${ns}`),
		email: `${ns}.${event.email}`,
	}));
}

/** The message id the Worker reads from an `sg_message_id`: the part before its first `.`. */
export const sendgridMessageId = (sgMessageId: string) => sgMessageId.split(".")[0] as string;

// ——— Postmark: HTTP Basic credentials ———

export interface PostmarkSignOptions {
	/** `user:password`; null sends no Authorization header. */
	credentials?: string | null;
	/** The header as sent, instead of `Basic base64(credentials)`. */
	authorization?: string;
	path?: string;
}

export const basicAuthorization = (credentials: string) => `Basic ${base64(utf8(credentials))}`;

/** A POST to Postmark's endpoint with the Basic credentials Postmark sends from the webhook's URL. */
export function postmarkRequest(body: unknown, options: PostmarkSignOptions = {}): Request {
	const headers: Record<string, string> = { "content-type": "application/json" };
	const credentials = options.credentials === undefined ? postmarkCredentials : options.credentials;
	if (options.authorization !== undefined) headers.authorization = options.authorization;
	else if (credentials !== null) headers.authorization = basicAuthorization(credentials);
	return new Request(url(options.path ?? emailEndpoints.postmark.path), {
		method: "POST",
		headers,
		body: bodyText(body),
	});
}

export interface PostmarkSpec {
	recordType: "Delivery" | "Bounce" | "Open" | "Click" | "SpamComplaint" | "SubscriptionChange" | string;
	messageId: string;
	to: string;
	/** The record's time, as Postmark sends it (`2019-11-05T16:33:54.9070259Z`). */
	at: string;
	/** A bounce's `Type` (HardBounce, SoftBounce, Transient, SpamComplaint…). */
	type?: string;
	subject?: string;
	metadata?: Record<string, unknown>;
}

/** A Postmark record shaped like test/fixtures/payloads/postmark/ (Delivery, Bounce, Open; Click and SpamComplaint from them). */
export function postmarkEvent(spec: PostmarkSpec): Record<string, unknown> {
	const bounceLike = spec.recordType === "Bounce" || spec.recordType === "SpamComplaint";
	const openLike = spec.recordType === "Open" || spec.recordType === "Click";
	const template = bounceLike ? postmarkBounce : openLike ? postmarkOpen : postmarkDelivery;
	const event = structuredClone(template) as Record<string, unknown>;
	event.RecordType = spec.recordType;
	event.MessageID = spec.messageId;
	if (bounceLike) {
		event.Email = spec.to;
		event.BouncedAt = spec.at;
		event.Type = spec.type ?? (spec.recordType === "SpamComplaint" ? "SpamComplaint" : "HardBounce");
	} else {
		event.Recipient = spec.to;
		if (openLike) event.ReceivedAt = spec.at;
		else if (spec.recordType === "SubscriptionChange") event.ChangedAt = spec.at;
		else event.DeliveredAt = spec.at;
	}
	if (spec.recordType === "Click") {
		delete event.FirstOpen;
		delete event.ReadSeconds;
		event.OriginalLink = "https://shop.example/orders";
		event.ClickLocation = "HTML";
	}
	if (spec.subject !== undefined) event.Subject = spec.subject;
	if (spec.metadata !== undefined) event.Metadata = spec.metadata;
	return event;
}

/** A Postmark example payload in namespace `ns`: MessageID and the address (Recipient or Email) carry it. */
export function namespacedPostmark(fixture: unknown, ns: string): Record<string, unknown> {
	const event = structuredClone(fixture) as Record<string, unknown>;
	event.MessageID = `${ns}-${event.MessageID}`;
	for (const key of ["Recipient", "Email"]) if (typeof event[key] === "string") event[key] = `${ns}.${event[key]}`;
	return event;
}

/** Postmark's event key as the Worker derives it: RecordType:MessageID:time (the time as sent). */
export const postmarkKey = (recordType: string, messageId: string, time: string) =>
	`${recordType}:${messageId}:${time}`;

// ——— Mailgun: HMAC of timestamp + token, in the body ———

export interface MailgunSignOptions {
	key?: string;
	/** unix seconds; defaults to now. */
	timestamp?: number;
	/** defaults to a fresh 50-character token. */
	token?: string;
	path?: string;
}

/** A fresh token, as Mailgun's: 50 lower-case hex characters. */
export function mailgunToken(): string {
	return hex(crypto.getRandomValues(new Uint8Array(25)));
}

/** The signature block Mailgun would send: hex HMAC-SHA256 of `timestamp + token` with the signing key. */
export async function mailgunSignature(options: MailgunSignOptions = {}) {
	const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
	const token = options.token ?? mailgunToken();
	const key = await crypto.subtle.importKey(
		"raw",
		utf8(options.key ?? mailgunSigningKey),
		{ name: "HMAC", hash: "SHA-256" },
		false,
		["sign"],
	);
	const signature = hex(new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8(timestamp + token))));
	return { timestamp, token, signature };
}

/** A POST to Mailgun's endpoint: `{signature, "event-data"}`, signed as Mailgun signs it. */
export async function mailgunRequest(eventData: unknown, options: MailgunSignOptions = {}): Promise<Request> {
	const signature = await mailgunSignature(options);
	return mailgunRequestWith(signature, eventData, options.path);
}

/** A POST to Mailgun's endpoint with a given signature block (a captured one, say) and any event-data. */
export function mailgunRequestWith(signature: unknown, eventData: unknown, path?: string): Request {
	return new Request(url(path ?? emailEndpoints.mailgun.path), {
		method: "POST",
		headers: { "content-type": "application/json" },
		body: JSON.stringify({ signature, "event-data": eventData }),
	});
}

export interface MailgunSpec {
	event: string;
	eventId: string;
	/** The Message-Id header, without angle brackets. */
	messageId: string;
	to: string;
	/** unix seconds, with a fraction */
	at: number;
	severity?: "permanent" | "temporary";
	reason?: string;
	subject?: string | null;
	userVariables?: Record<string, unknown>;
}

/** Mailgun `event-data` shaped like test/fixtures/payloads/mailgun/ (delivered, failed, opened). */
export function mailgunEventData(spec: MailgunSpec): Record<string, unknown> {
	const template =
		spec.event === "failed" ? mailgunFailedPermanent : spec.event === "opened" ? mailgunOpened : mailgunDelivered;
	const data = structuredClone(template["event-data"]) as Record<string, unknown> & {
		message: { headers: Record<string, unknown> };
	};
	data.event = spec.event;
	data.id = spec.eventId;
	data.timestamp = spec.at;
	data.recipient = spec.to;
	data.message.headers["message-id"] = spec.messageId;
	if (spec.subject === null) delete data.message.headers.subject;
	else if (spec.subject !== undefined) data.message.headers.subject = spec.subject;
	if (spec.event === "failed") {
		data.severity = spec.severity ?? "permanent";
		if (spec.reason === undefined) delete data.reason;
		else data.reason = spec.reason;
	}
	if (spec.userVariables !== undefined) data["user-variables"] = spec.userVariables;
	return data;
}

/** A Mailgun example payload's `event-data` in namespace `ns`: its id, message id and recipient carry it. */
export function namespacedMailgun(fixture: unknown, ns: string): Record<string, unknown> & MailgunData {
	const data = structuredClone((fixture as { "event-data": unknown })["event-data"]) as Record<string, unknown> &
		MailgunData;
	data.id = `${ns}-${data.id}`;
	data.recipient = `${ns}.${data.recipient}`;
	data.message.headers["message-id"] = `${ns}.${data.message.headers["message-id"]}`;
	return data;
}
interface MailgunData {
	id: string;
	recipient: string;
	timestamp: number;
	message: { headers: Record<string, string> };
}

/** Mailgun's seconds with a fraction, as the Worker stores them (milliseconds, truncated). */
export const mailgunInstant = (seconds: number) => new Date(Math.floor(seconds * 1000)).toISOString();

// ——— any provider ———

/** A signed request reporting one `delivered` event of namespace `ns` (message `<ns>-m`, to `addressIn(ns)`), as `provider` sends it. */
export async function deliveredRequest(
	provider: EmailProviderName,
	ns: string,
	path?: string,
): Promise<{ request: Request; eventId: string; messageId: string }> {
	const messageId = `${ns}-m`;
	const to = addressIn(ns);
	const when = new Date(Date.UTC(2026, 5, 1, 9, 0, 0));
	const seconds = when.getTime() / 1000;
	switch (provider) {
		case "resend": {
			const eventId = `msg_${ns}`;
			const event = resendEvent({ type: "email.delivered", emailId: messageId, to, at: when.toISOString() });
			return { request: resendRequest(event, { id: eventId, ...(path ? { path } : {}) }), eventId, messageId };
		}
		case "sendgrid": {
			const eventId = `${ns}-d`;
			const event = sendgridEvent({ event: "delivered", eventId, messageId, to, at: seconds });
			return { request: await sendgridRequest([event], path ? { path } : {}), eventId, messageId };
		}
		case "postmark": {
			const time = when.toISOString();
			const event = postmarkEvent({ recordType: "Delivery", messageId, to, at: time });
			return {
				request: postmarkRequest(event, path ? { path } : {}),
				eventId: postmarkKey("Delivery", messageId, time),
				messageId,
			};
		}
		case "mailgun": {
			const eventId = `${ns}-d`;
			const data = mailgunEventData({ event: "delivered", eventId, messageId, to, at: seconds });
			return { request: await mailgunRequest(data, path ? { path } : {}), eventId, messageId };
		}
	}
}

// ——— rows ———

const iso = (value: Date | null) => value?.toISOString() ?? null;

/** An email_messages row, its times as ISO strings, without its serial id. */
export type MessageRow = Omit<typeof emailMessages.$inferSelect, "id" | (typeof messageTimes)[number]> & {
	[K in (typeof messageTimes)[number]]: string | null;
};

const messageTimes = [
	"sentAt",
	"delayedAt",
	"deliveredAt",
	"bouncedAt",
	"complainedAt",
	"failedAt",
	"firstOpenedAt",
	"lastOpenedAt",
	"firstEventAt",
	"lastEventAt",
	"erasedAt",
] as const;

/** The email_messages rows whose provider message id contains `ns`, ordered by provider then message id. */
export async function messagesIn(ns: string): Promise<MessageRow[]> {
	const rows = await testDb()
		.select()
		.from(emailMessages)
		.where(sql`strpos(${emailMessages.providerMessageId}, ${ns}) > 0`)
		.orderBy(sql`${emailMessages.provider} collate "C"`, sql`${emailMessages.providerMessageId} collate "C"`);
	return rows.map(({ id: _, ...row }) => {
		const out: Record<string, unknown> = { ...row };
		for (const key of messageTimes) out[key] = iso(row[key]);
		return out as MessageRow;
	});
}

/** The one message of `provider` whose id is `messageId`, or undefined. */
export async function messageOf(provider: string, messageId: string): Promise<MessageRow | undefined> {
	return (await messagesIn(messageId)).find((m) => m.provider === provider && m.providerMessageId === messageId);
}

/** A message row with every fact empty: spread it and set what an event gives. */
export const emptyMessage: Omit<MessageRow, "provider" | "providerMessageId" | "status"> = {
	recipient: null,
	subject: null,
	orderId: null,
	userId: null,
	sentAt: null,
	delayedAt: null,
	deliveredAt: null,
	bouncedAt: null,
	bounceType: null,
	softBounceCount: 0,
	complainedAt: null,
	failedAt: null,
	firstOpenedAt: null,
	lastOpenedAt: null,
	openCount: 0,
	clickCount: 0,
	firstEventAt: null,
	lastEventAt: null,
	erasedAt: null,
};

export type SuppressionRow = Omit<typeof emailSuppressions.$inferSelect, "firstAt" | "lastAt" | "reasonEventAt"> & {
	firstAt: string | null;
	lastAt: string | null;
	reasonEventAt: string | null;
};

/** The email_suppressions rows whose address contains `ns`, by address. */
export async function suppressionsIn(ns: string): Promise<SuppressionRow[]> {
	const rows = await testDb()
		.select()
		.from(emailSuppressions)
		.where(sql`strpos(${emailSuppressions.address}, ${ns}) > 0`)
		.orderBy(sql`${emailSuppressions.address} collate "C"`);
	return rows.map((row) => ({
		...row,
		firstAt: iso(row.firstAt),
		lastAt: iso(row.lastAt),
		reasonEventAt: iso(row.reasonEventAt),
	}));
}

/** A user with this primary email (as stored: any case), written directly (as Clerk's sync would). */
export async function createUser(id: string, email: string | null): Promise<void> {
	await testDb().execute(sql`insert into users (id, email) values (${id}, ${email})`);
}

/** The users whose id contains `ns`: id, email and email_status, by id. */
export async function usersIn(ns: string): Promise<{ id: string; email: string | null; emailStatus: string | null }[]> {
	const result = await testDb().execute<{ id: string; email: string | null; emailStatus: string | null }>(sql`
		select id, email, email_status as "emailStatus" from users where strpos(id, ${ns}) > 0 order by id collate "C"`);
	return result.rows;
}

export type LedgerRow = {
	provider: string;
	eventId: string;
	eventType: string;
	status: string;
	attempts: number;
	lastError: string | null;
	payload: string;
	rawBody: string | null;
	subjectUserId: string | null;
	erasedAt: string | null;
};

/** The ledger rows (webhook_events) whose event id contains `ns`, by provider then event id. */
export async function ledgerIn(ns: string): Promise<LedgerRow[]> {
	const result = await testDb().execute<LedgerRow>(sql`
		select provider, event_id as "eventId", event_type as "eventType", status, attempts, last_error as "lastError",
			payload::text as payload, raw_body as "rawBody", subject_user_id as "subjectUserId", erased_at::text as "erasedAt"
		from webhook_events where strpos(event_id, ${ns}) > 0
		order by provider collate "C", event_id collate "C"`);
	return result.rows.map((row) => ({ ...row, attempts: Number(row.attempts) }));
}

/** The nonces (Mailgun tokens) recorded for `provider` among `nonces`. */
export async function noncesAmong(provider: string, nonces: string[]): Promise<string[]> {
	const result = await testDb().execute<{ nonce: string }>(sql`
		select nonce from webhook_nonces where provider = ${provider} and nonce in ${nonces} order by nonce`);
	return result.rows.map((row) => row.nonce);
}

/** Forgets Mailgun tokens: a vector that the file's meta says runs with a fresh token memory. */
export async function forgetNonces(provider: string, nonces: string[]): Promise<void> {
	await testDb().execute(sql`delete from webhook_nonces where provider = ${provider} and nonce in ${nonces}`);
}

/** Every row a test of namespace `ns` could have written: messages, suppressions, users, ledger. */
export async function writtenUnder(ns: string) {
	return {
		messages: await messagesIn(ns),
		suppressions: await suppressionsIn(ns),
		users: await usersIn(ns),
		ledger: await ledgerIn(ns),
	};
}

/** An email address anywhere in a text (what no log line may hold). */
export const anEmailAddress = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+/;

/** The public key of the test pair, as SENDGRID_WEBHOOK_PUBLIC_KEY holds it. */
export { sendgridPublicKey };
