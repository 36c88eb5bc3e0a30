/**
 * Test helper: Resend's API mocked at the network edge, the Worker's outbound `fetch`. Requests to
 * https://api.resend.com/ are answered by the test (and recorded as Resend would receive them);
 * every other request (the database's SQL endpoint) goes on unchanged.
 *
 * Why not the vitest plugin's `fetchMock`: @cloudflare/vitest-plugin 1.x no longer has it (its docs
 * now point to MSW); tests and Worker share one isolate, so replacing the global `fetch` reaches the
 * Worker's own calls. A plain function rather than `vi.spyOn`: test/support/deliver.ts `observe()`
 * spies on `fetch` itself (to count database requests), and two spies on one property would be one.
 */
import { afterEach } from "vitest";

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

let installed: (() => void)[] = [];
afterEach(() => {
	for (const restore of installed.reverse()) restore();
	installed = [];
});

/** Answers Resend's API with `answer` (called with each request and its 1-based number) until the test ends. */
export function mockResend(answer: (call: ResendCall, n: number) => Response | Promise<Response>): ResendMock {
	const calls: ResendCall[] = [];
	const previous = globalThis.fetch;
	const mocked: typeof fetch = async (input, init) => {
		const url = input instanceof Request ? input.url : String(input);
		if (!url.startsWith("https://api.resend.com/")) return previous(input, init);
		const request = new Request(input, init);
		const call: ResendCall = {
			url: request.url,
			method: request.method,
			headers: Object.fromEntries(request.headers),
			body: (await request.json()) as ResendCall["body"],
		};
		calls.push(call);
		return answer(call, calls.length);
	};
	globalThis.fetch = mocked;
	const restore = () => {
		if (globalThis.fetch === mocked) globalThis.fetch = previous;
	};
	installed.push(restore);
	return { calls, restore };
}

/** Resend's answer to an accepted email: `{"id": …}`. */
export const accepted = (id: string) => Response.json({ id }, { status: 200 });

/** Resend's error answer (`{statusCode, name, message}`), with headers (Retry-After). */
export const resendError = (status: number, name: string, headers: Record<string, string> = {}) =>
	Response.json({ statusCode: status, name, message: "The to field is invalid: ada@example.com" }, { status, headers });

/** A fresh Resend message id (a UUID, as Resend's). */
export const resendMessageId = () => crypto.randomUUID();
