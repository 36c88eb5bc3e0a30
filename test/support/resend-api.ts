/**
 * Test helper: Resend's API mocked at the network edge (test/support/provider-api.ts). Requests to
 * https://api.resend.com/ are answered by the test (and recorded as Resend would receive them);
 * every other request (the database's SQL endpoint) goes on unchanged.
 *
 * Why not the vitest plugin's `fetchMock`: @cloudflare/vitest-plugin 1.x no longer has it (its docs
 * now point to MSW); tests and Worker share one isolate, so replacing the global `fetch` reaches the
 * Worker's own calls. A plain function rather than `vi.spyOn`: test/support/deliver.ts `observe()`
 * spies on `fetch` itself (to count database requests), and two spies on one property would be one.
 */
import { mockApi } from "./provider-api";

/** A request Resend received, as Resend reads it. */
export interface ResendCall {
	url: string;
	method: string;
	/** Header names lower-cased. */
	headers: Record<string, string>;
	body: {
		from: string;
		to: string[];
		subject: string;
		text: string;
		tags?: { name: string; value: string }[];
	};
}

export interface ResendMock {
	calls: ResendCall[];
	/** Puts the real `fetch` back (afterEach does it too). */
	restore(): void;
}

/** Answers Resend's API with `answer` (called with each request and its 1-based number) until the test ends. */
export function mockResend(answer: (call: ResendCall, n: number) => Response | Promise<Response>): ResendMock {
	const calls: ResendCall[] = [];
	const mock = mockApi("https://api.resend.com", (call) => {
		const resendCall: ResendCall = {
			url: call.url.href,
			method: call.method,
			headers: call.headers,
			body: JSON.parse(call.body) as ResendCall["body"],
		};
		calls.push(resendCall);
		return answer(resendCall, calls.length);
	});
	return { calls, restore: mock.restore };
}

/** Resend's answer to an accepted email: `{"id": …}`. */
export const accepted = (id: string) => Response.json({ id }, { status: 200 });

/** Resend's error answer (`{statusCode, name, message}`), with headers (Retry-After). */
export const resendError = (status: number, name: string, headers: Record<string, string> = {}) =>
	Response.json({ statusCode: status, name, message: "The to field is invalid: ada@example.com" }, { status, headers });

/** A fresh Resend message id (a UUID, as Resend's). */
export const resendMessageId = () => crypto.randomUUID();
