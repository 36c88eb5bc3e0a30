/**
 * @module admin/recovery/provider-api
 * One `GET` to a provider's API (Stripe's, Clerk's) for a recovery page, answered with what to do
 * next: the JSON body, retry later (the provider failed, rate-limited us or could not be reached), or
 * stop (the request is wrong and will stay so: a revoked key, a missing permission). Trust boundary:
 * the API key goes to the provider and nowhere else; the outcome carries the HTTP status and the
 * provider's error code (`authentication_error`, `resource_missing`), never its error message, which
 * may quote the request (Stripe's names part of the key).
 */
import { retryAfterSeconds } from "../../notify/resend-api";

/** How long a page may take before it counts as a network failure (ms). */
export const PAGE_TIMEOUT_MS = 30_000;

export type PageOutcome =
	| { kind: "ok"; body: unknown }
	/** `retryAfterSeconds`: what a 429's Retry-After asked for, when it said. */
	| { kind: "retry"; error: string; retryAfterSeconds?: number }
	| { kind: "failed"; error: string };

/** A provider's error code, when its error body has one that looks like a code. */
export type ErrorCode = (body: unknown) => string | undefined;

const code = /^[a-z][a-z0-9_.-]{0,79}$/;

/** Stripe's `{"error": {"type", "code"}}` (https://docs.stripe.com/api/errors): its code, else its type. */
export const stripeErrorCode: ErrorCode = (body) => {
	const error = (body as { error?: { type?: unknown; code?: unknown } } | null)?.error;
	const value = error?.code ?? error?.type;
	return typeof value === "string" && code.test(value) ? value : undefined;
};

/** Clerk's `{"errors": [{"code", "message"}]}` (https://clerk.com/docs/reference/backend-api): the first code. */
export const clerkErrorCode: ErrorCode = (body) => {
	const value = (body as { errors?: { code?: unknown }[] } | null)?.errors?.[0]?.code;
	return typeof value === "string" && code.test(value) ? value : undefined;
};

/**
 * GETs `url` with `Authorization: Bearer <apiKey>`. 2xx → its JSON; 429, 408, 5xx, a timeout or a
 * network failure → retry; every other status → failed. Never throws. `name` starts the error texts
 * (`stripe answered 401 (authentication_error)`).
 */
export async function getPage(
	name: string,
	url: string,
	apiKey: string,
	errorCode: ErrorCode,
	nowMs: () => number = Date.now,
): Promise<PageOutcome> {
	let response: Response;
	try {
		response = await fetch(url, {
			headers: { Authorization: `Bearer ${apiKey}`, Accept: "application/json" },
			signal: AbortSignal.timeout(PAGE_TIMEOUT_MS),
		});
	} catch (error) {
		const what = error instanceof Error && error.name === "TimeoutError" ? "timed out" : "could not be reached";
		return { kind: "retry", error: `${name} ${what}` };
	}
	let body: unknown;
	try {
		body = await response.json();
	} catch {
		body = undefined;
	}
	const { status } = response;
	if (status >= 200 && status < 300) {
		if (body === undefined) return { kind: "retry", error: `${name} answered ${status} without JSON` };
		return { kind: "ok", body };
	}
	const found = errorCode(body);
	const error = `${name} answered ${status}${found ? ` (${found})` : ""}`;
	if (status === 429) {
		const wait = retryAfterSeconds(response.headers.get("retry-after"), nowMs());
		return { kind: "retry", error, ...(wait === undefined ? {} : { retryAfterSeconds: wait }) };
	}
	if (status >= 500 || status === 408) return { kind: "retry", error };
	return { kind: "failed", error };
}
