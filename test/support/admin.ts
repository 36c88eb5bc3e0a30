/**
 * Test helper: requests to the admin API (/api/admin) through the Worker's own fetch, with the test
 * admin token (vitest.config.ts binds ADMIN_TOKEN), and the bindings with the admin turned off.
 */
import { env } from "cloudflare:test";
import { type Delivered, deliver } from "./deliver";
import { adminToken } from "./secrets";

export { adminToken };

/** A request to `/api/admin<path>` with the admin token (unless `token` says otherwise; null: none). */
export function adminRequest(
	path: string,
	options: { method?: string; body?: unknown; token?: string | null; headers?: Record<string, string> } = {},
): Request {
	const headers = new Headers(options.headers);
	const token = options.token === undefined ? adminToken : options.token;
	if (token !== null) headers.set("authorization", `Bearer ${token}`);
	if (options.body !== undefined) headers.set("content-type", "application/json");
	return new Request(`http://shop.test/api/admin${path}`, {
		method: options.method ?? (options.body === undefined ? "GET" : "POST"),
		headers,
		...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
	});
}

/** Sends `adminRequest(path, options)` through the Worker and returns what deliver() collects. */
export function admin(path: string, options: Parameters<typeof adminRequest>[1] = {}, bindings: Env = env) {
	return deliver(adminRequest(path, options), bindings);
}

/** The bindings with ADMIN_TOKEN unset: the admin is off. */
export function withoutAdmin(bindings: Env = env): Env {
	const { ADMIN_TOKEN: _, ...rest } = bindings as Env & { ADMIN_TOKEN?: string };
	return rest as Env;
}

/** The body of an admin answer, typed loosely for assertions. */
// biome-ignore lint/suspicious/noExplicitAny: answers are JSON, checked field by field in tests
export const bodyOf = (answer: Delivered) => answer.body as any;
