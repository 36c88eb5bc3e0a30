/**
 * Test helper: a provider's API (Stripe's, Clerk's) mocked at the network edge, the Worker's outbound
 * `fetch` (test/support/resend-api.ts builds Resend's on it): requests to the given origin are answered by
 * the test and recorded; every other request (the database's SQL endpoint) goes on unchanged. A
 * plain replacement of the global `fetch`, put back after each test.
 */
import { afterEach } from "vitest";

/** A request the provider received. */
export interface ApiCall {
	url: URL;
	method: string;
	/** Header names lower-cased. */
	headers: Record<string, string>;
	/** The request's body as text ("" for none). */
	body: string;
}

export interface ApiMock {
	calls: ApiCall[];
	restore(): void;
}

let installed: (() => void)[] = [];
afterEach(() => {
	for (const restore of installed.reverse()) restore();
	installed = [];
});

/**
 * Answers requests to `origin` (`https://api.stripe.com`) with `answer` (called with each request and
 * its 1-based number; a thrown error is a network failure) until the test ends.
 */
export function mockApi(origin: string, answer: (call: ApiCall, n: number) => Response | Promise<Response>): ApiMock {
	const calls: ApiCall[] = [];
	const previous = globalThis.fetch;
	const mocked: typeof fetch = async (input, init) => {
		const url = input instanceof Request ? input.url : String(input);
		if (!url.startsWith(`${origin}/`)) return previous(input, init);
		const request = new Request(input, init);
		const call: ApiCall = {
			url: new URL(request.url),
			method: request.method,
			headers: Object.fromEntries(request.headers),
			body: await request.text(),
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
