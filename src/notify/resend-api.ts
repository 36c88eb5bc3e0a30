/**
 * @module notify/resend-api
 * Resend's send-email API (`POST https://api.resend.com/emails`), as the notification outbox uses it:
 * one email per call, answered with what to do next (sent, retry after so many seconds, or failed for
 * good). Trust boundary: the only outbound call to an email provider; the API key and the recipient
 * go to Resend and nowhere else: the result carries only the HTTP status, Resend's error `name` (a
 * code) and the message id, never Resend's error message, which may quote the request.
 *
 * Protocol facts, and where they come from:
 * - Request: JSON `{from, to[], subject, text, tags: [{name, value}]}` with `Authorization: Bearer
 *   <key>`; a 2xx answer is `{"id": "<uuid>"}` (https://resend.com/docs/api-reference/emails/send-email).
 *   Tag names and values hold ASCII letters, digits, `_` and `-` only
 *   (https://resend.com/docs/dashboard/emails/tags).
 * - `Idempotency-Key` (1–256 characters): a request repeated with the same key within 24 hours gets
 *   the first one's answer and sends nothing (https://resend.com/docs/dashboard/emails/idempotency-keys).
 * - Errors are `{statusCode, name, message}` (https://resend.com/docs/api-reference/errors): 409
 *   `concurrent_idempotent_requests` (the same key is still being processed: try again later) and 429
 *   (`rate_limit_exceeded`, `daily_quota_exceeded`, `monthly_quota_exceeded`) pass; 5xx is Resend's
 *   own failure; every other 4xx says the request itself is wrong.
 * - A 429 carries `retry-after`, in seconds (https://resend.com/docs/api-reference/rate-limit); an
 *   HTTP date is read too, as RFC 9110 §10.2.3 allows either.
 */
import { MAX_DELAY_SECONDS } from "../queue/backoff";

/** Where emails are sent. */
export const RESEND_EMAILS_URL = "https://api.resend.com/emails";
/** How long a send may take before it counts as a network failure (ms); the answer is then unknown, and a retry with the same key is safe. */
export const SEND_TIMEOUT_MS = 15_000;
/** Resend keeps an idempotency key for 24 hours (s): a retry later than that could send twice. */
export const IDEMPOTENCY_WINDOW_SECONDS = 24 * 60 * 60;
/**
 * The longest a 429's Retry-After is honoured (s): a day (a daily quota resets within one). It may be
 * longer than a queue message can be delayed: the notification's row waits that long (queue/notify.ts).
 */
export const MAX_RETRY_AFTER_SECONDS = 24 * 60 * 60;

/** A tag as Resend's send API takes it. */
export interface ResendTag {
	name: string;
	value: string;
}

export interface OutgoingEmail {
	from: string;
	to: string;
	subject: string;
	text: string;
	tags: ResendTag[];
	/** 1–256 characters, the same on every attempt of one email. */
	idempotencyKey: string;
}

export type SendOutcome =
	/** Accepted: `messageId` is Resend's id for it (null when the answer did not carry one). */
	| { kind: "sent"; status: number; messageId: string | null }
	/**
	 * Worth another attempt: Resend failed, rate-limited us, or could not be reached (`status` null).
	 * `retryAfterSeconds`: when Resend said how long to wait (a 429's Retry-After), at most
	 * MAX_RETRY_AFTER_SECONDS.
	 */
	| { kind: "retry"; status: number | null; errorName: string | null; retryAfterSeconds?: number }
	/** The request is wrong and will stay so (an invalid key, a refused sender or address). */
	| { kind: "failed"; status: number; errorName: string | null };

/** Tag values Resend accepts: ASCII letters, digits, `_` and `-` (at most 256 characters, as for names). */
const TAG_TEXT = /^[A-Za-z0-9_-]{1,256}$/;

/** The tags Resend would accept among `tags` (a value it would refuse is left out rather than failing the send). */
export function acceptedTags(tags: ResendTag[]): ResendTag[] {
	return tags.filter((tag) => TAG_TEXT.test(tag.name) && TAG_TEXT.test(tag.value));
}

/** A value of Resend's error `name` when it looks like one of its codes (`rate_limit_exceeded`), else null. */
function errorCode(body: unknown): string | null {
	const name = (body as { name?: unknown } | null)?.name;
	return typeof name === "string" && /^[a-z_]{1,60}$/.test(name) ? name : null;
}

/**
 * The seconds a `Retry-After` value asks to wait, at least 1 and at most `maxSeconds` (by default the
 * longest a queue message can be delayed, MAX_DELAY_SECONDS): delay-seconds or an HTTP date (RFC 9110
 * §10.2.3), read against `nowMs` (unix ms). Undefined when absent or unreadable.
 */
export function retryAfterSeconds(
	value: string | null,
	nowMs: number,
	maxSeconds: number = MAX_DELAY_SECONDS,
): number | undefined {
	if (value === null) return undefined;
	const text = value.trim();
	let seconds: number;
	if (/^\d+$/.test(text)) seconds = Number(text);
	else {
		const at = Date.parse(text);
		if (!/[A-Za-z]/.test(text) || Number.isNaN(at)) return undefined;
		seconds = Math.ceil((at - nowMs) / 1000);
	}
	return Math.min(maxSeconds, Math.max(1, seconds));
}

/**
 * Sends one email through Resend with `apiKey`. Never throws: a network failure or a timeout is a
 * `retry` without status. `fetcher` and `nowMs` (unix ms, for an HTTP-date Retry-After) are parameters
 * for tests.
 */
export async function sendEmail(
	apiKey: string,
	email: OutgoingEmail,
	options: { fetcher?: typeof fetch; nowMs?: () => number } = {},
): Promise<SendOutcome> {
	const fetcher = options.fetcher ?? fetch;
	let response: Response;
	try {
		response = await fetcher(RESEND_EMAILS_URL, {
			method: "POST",
			headers: {
				Authorization: `Bearer ${apiKey}`,
				"Content-Type": "application/json",
				"Idempotency-Key": email.idempotencyKey,
			},
			body: JSON.stringify({
				from: email.from,
				to: [email.to],
				subject: email.subject,
				text: email.text,
				tags: acceptedTags(email.tags),
			}),
			signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
		});
	} catch {
		return { kind: "retry", status: null, errorName: null };
	}
	const { status } = response;
	let body: unknown = null;
	try {
		body = await response.json();
	} catch {
		// an answer that is not JSON (a proxy's error page): the status alone decides
	}
	if (status >= 200 && status < 300) {
		const id = (body as { id?: unknown } | null)?.id;
		return { kind: "sent", status, messageId: typeof id === "string" && id !== "" ? id : null };
	}
	const errorName = errorCode(body);
	if (status === 429) {
		const wait = retryAfterSeconds(
			response.headers.get("retry-after"),
			(options.nowMs ?? Date.now)(),
			MAX_RETRY_AFTER_SECONDS,
		);
		return { kind: "retry", status, errorName, ...(wait === undefined ? {} : { retryAfterSeconds: wait }) };
	}
	if (status >= 500 || status === 408 || (status === 409 && errorName === "concurrent_idempotent_requests"))
		return { kind: "retry", status, errorName };
	return { kind: "failed", status, errorName };
}
