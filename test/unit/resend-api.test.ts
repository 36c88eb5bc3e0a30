/**
 * Resend's send-email client (src/notify/resend-api.ts): the request it makes (URL, headers, body),
 * and how each answer is read: sent, retry (with Retry-After in seconds or as an HTTP date, capped),
 * failed; never Resend's error message, never a throw.
 */
import { describe, expect, it } from "vitest";
import {
	acceptedTags,
	MAX_RETRY_AFTER_SECONDS,
	type OutgoingEmail,
	RESEND_EMAILS_URL,
	retryAfterSeconds,
	sendEmail,
} from "../../src/notify/resend-api";
import { MAX_DELAY_SECONDS } from "../../src/queue/backoff";

const email: OutgoingEmail = {
	from: "onboarding@resend.dev",
	to: "Ada@Example.com",
	subject: "Your order ord_1 was delivered",
	text: "Tracking: 1Z999",
	tags: [
		{ name: "order_id", value: "ord_1" },
		{ name: "notification_id", value: "42" },
	],
	idempotencyKey: "notification-42",
};

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

/** A fetcher answering `response` and recording the request it got. */
function answering(response: () => Response | Promise<Response>) {
	const requests: Request[] = [];
	const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
		requests.push(new Request(input, init));
		return response();
	}) as typeof fetch;
	return { fetcher, requests };
}

const json =
	(status: number, body: unknown, headers: Record<string, string> = {}) =>
	() =>
		Response.json(body, { status, headers });

describe("the request", () => {
	it("POSTs the email as JSON to /emails with the key as a bearer token and the idempotency key", async () => {
		const { fetcher, requests } = answering(json(200, { id: "4ef9a417-02e9-4d39-ad75-9611e0fcc33c" }));
		await sendEmail("re_test_key", email, { fetcher });
		const [request] = requests;
		expect(request?.url).toBe(RESEND_EMAILS_URL);
		expect(request?.method).toBe("POST");
		expect(request?.headers.get("authorization")).toBe("Bearer re_test_key");
		expect(request?.headers.get("idempotency-key")).toBe("notification-42");
		expect(request?.headers.get("content-type")).toBe("application/json");
		expect(await request?.json()).toEqual({
			from: "onboarding@resend.dev",
			to: ["Ada@Example.com"],
			subject: "Your order ord_1 was delivered",
			text: "Tracking: 1Z999",
			tags: [
				{ name: "order_id", value: "ord_1" },
				{ name: "notification_id", value: "42" },
			],
		});
	});

	it("leaves out a tag Resend would refuse (only ASCII letters, digits, _ and -)", () => {
		expect(
			acceptedTags([
				{ name: "order_id", value: "ord 1/é" },
				{ name: "notification_id", value: "7" },
				{ name: "bad name", value: "x" },
				{ name: "empty", value: "" },
			]),
		).toEqual([{ name: "notification_id", value: "7" }]);
	});
});

describe("the answer", () => {
	it("2xx: sent, with Resend's message id", async () => {
		const { fetcher } = answering(json(200, { id: "4ef9a417-02e9-4d39-ad75-9611e0fcc33c" }));
		expect(await sendEmail("re_k", email, { fetcher })).toEqual({
			kind: "sent",
			status: 200,
			messageId: "4ef9a417-02e9-4d39-ad75-9611e0fcc33c",
		});
	});

	it("2xx without an id: sent all the same (Resend accepted it), messageId null", async () => {
		const { fetcher } = answering(() => new Response("ok", { status: 200 }));
		expect(await sendEmail("re_k", email, { fetcher })).toEqual({ kind: "sent", status: 200, messageId: null });
	});

	it.each([
		[500, "application_error"],
		[502, null],
		[503, "service_unavailable"],
		[408, null],
		[409, "concurrent_idempotent_requests"],
	])("%i (%s): retry", async (status, name) => {
		const body = name ? { statusCode: status, name, message: "quoted ada@example.com" } : "<html>bad gateway</html>";
		const { fetcher } = answering(() =>
			typeof body === "string" ? new Response(body, { status }) : Response.json(body, { status }),
		);
		expect(await sendEmail("re_k", email, { fetcher })).toEqual({ kind: "retry", status, errorName: name });
	});

	it.each([
		[422, "validation_error"],
		[403, "invalid_from_address"],
		[401, "missing_api_key"],
		[400, "invalid_idempotency_key"],
		[409, "invalid_idempotent_request"],
		[404, null],
	])("%i (%s): failed, with the error's name and never its message", async (status, name) => {
		const { fetcher } = answering(
			json(status, name ? { statusCode: status, name, message: "The to address ada@example.com is invalid" } : {}),
		);
		const outcome = await sendEmail("re_k", email, { fetcher });
		expect(outcome).toEqual({ kind: "failed", status, errorName: name });
		expect(JSON.stringify(outcome)).not.toContain("ada@example.com");
	});

	it("an error name that is not a code is not repeated", async () => {
		const { fetcher } = answering(json(422, { name: "Ada Lovelace <ada@example.com>" }));
		expect(await sendEmail("re_k", email, { fetcher })).toEqual({ kind: "failed", status: 422, errorName: null });
	});

	it("429 with Retry-After in seconds: retry after that many", async () => {
		const { fetcher } = answering(
			json(
				429,
				{ statusCode: 429, name: "rate_limit_exceeded", message: "Too many requests" },
				{ "Retry-After": "120" },
			),
		);
		expect(await sendEmail("re_k", email, { fetcher })).toEqual({
			kind: "retry",
			status: 429,
			errorName: "rate_limit_exceeded",
			retryAfterSeconds: 120,
		});
	});

	it("429 with Retry-After as an HTTP date: the seconds until then", async () => {
		const at = new Date(NOW + 90_000).toUTCString();
		const { fetcher } = answering(json(429, { name: "daily_quota_exceeded" }, { "Retry-After": at }));
		expect(await sendEmail("re_k", email, { fetcher, nowMs: () => NOW })).toMatchObject({
			kind: "retry",
			retryAfterSeconds: 90,
		});
	});

	it("429 with a Retry-After longer than a queue message waits (a daily quota): honoured up to a day", async () => {
		const answer = (after: string) =>
			answering(json(429, { name: "daily_quota_exceeded" }, { "Retry-After": after })).fetcher;
		expect(await sendEmail("re_k", email, { fetcher: answer(String(20 * 3600)) })).toMatchObject({
			retryAfterSeconds: 20 * 3600,
		});
		expect(await sendEmail("re_k", email, { fetcher: answer(String(3 * 86_400)) })).toMatchObject({
			retryAfterSeconds: MAX_RETRY_AFTER_SECONDS,
		});
		expect(MAX_RETRY_AFTER_SECONDS).toBe(86_400);
	});

	it("429 without Retry-After: retry, the caller's backoff decides when", async () => {
		const { fetcher } = answering(json(429, { name: "rate_limit_exceeded" }));
		expect(await sendEmail("re_k", email, { fetcher })).toEqual({
			kind: "retry",
			status: 429,
			errorName: "rate_limit_exceeded",
		});
	});

	it("a network failure or timeout: retry without a status, never a throw", async () => {
		const { fetcher } = answering(() => Promise.reject(new TypeError("Network connection lost.")));
		expect(await sendEmail("re_k", email, { fetcher })).toEqual({ kind: "retry", status: null, errorName: null });
	});
});

describe("retryAfterSeconds", () => {
	it.each([
		["120", 120],
		[" 7 ", 7],
		["0", 1],
		[String(10 ** 9), MAX_DELAY_SECONDS],
		[new Date(NOW + 30_000).toUTCString(), 30],
		[new Date(NOW - 30_000).toUTCString(), 1],
		[new Date(NOW + 10 ** 12).toUTCString(), MAX_DELAY_SECONDS],
	])("%j → %i s", (value, seconds) => {
		expect(retryAfterSeconds(value, NOW)).toBe(seconds);
	});

	it("at most what the caller says, when it says", () => {
		expect(retryAfterSeconds(String(10 ** 9), NOW, 600)).toBe(600);
		expect(retryAfterSeconds("300", NOW, 600)).toBe(300);
	});

	it.each([null, "", "soon", "-5", "1.5", "12abc"])("%j → undefined", (value) => {
		expect(retryAfterSeconds(value, NOW)).toBeUndefined();
	});
});
