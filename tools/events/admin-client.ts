/**
 * The admin API as the events CLI (tools/events.ts) calls it: which Worker (`--url`, else the local
 * `npm run dev` on PORT or 8787) and which token (`--token`, else ADMIN_TOKEN from the environment,
 * else from `.dev.vars`), and one request at a time, answered as its status and JSON body. Trust
 * boundary: the token goes in the Authorization header to that URL only, and is never printed; a
 * redirect is not followed (fetch would resend a POST as a GET, without the token), it is answered
 * with where it leads; over plain http to another host than this machine, the caller warns first.
 */
import { fileURLToPath } from "node:url";
import { readDotVars } from "../dot-vars.ts";

/** The repository's `.dev.vars`, where `npm run dev` keeps the local Worker's secrets. */
export const devVarsPath = fileURLToPath(new URL("../../.dev.vars", import.meta.url));

/** How long one request may take (ms). */
export const REQUEST_TIMEOUT_MS = 30_000;

/** The token and where it came from (for messages; never the token itself). */
export interface Token {
	value: string;
	source: "--token" | "ADMIN_TOKEN" | ".dev.vars";
}

/** The admin token: `--token`, else ADMIN_TOKEN in `env`, else in `devVars`; undefined when none is set. */
export function adminToken(
	flag: string | undefined,
	env: Record<string, string | undefined> = process.env,
	devVars: Record<string, string> = readDotVars(devVarsPath),
): Token | undefined {
	if (flag?.trim()) return { value: flag.trim(), source: "--token" };
	if (env.ADMIN_TOKEN?.trim()) return { value: env.ADMIN_TOKEN.trim(), source: "ADMIN_TOKEN" };
	if (devVars.ADMIN_TOKEN?.trim()) return { value: devVars.ADMIN_TOKEN.trim(), source: ".dev.vars" };
	return undefined;
}

/** The Worker's base URL: `--url`, else the local dev server (PORT, default 8787). Throws on a URL that is none. */
export function baseUrl(flag: string | undefined, env: Record<string, string | undefined> = process.env): URL {
	const text = flag ?? `http://127.0.0.1:${env.PORT?.trim() || "8787"}`;
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		throw new Error(`--url must be an http(s) URL, not "${text}"`);
	}
	if (!/^https?:$/.test(url.protocol)) throw new Error(`--url must be an http(s) URL, not "${text}"`);
	if (url.username || url.password) throw new Error("--url must not carry a user or password");
	return url;
}

/** The hosts of this machine, to which plain http stays on the machine. */
const loopbackHosts = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * The warning to print before sending the token to `base` over plain http to another host than this
 * machine (anyone on the way can read it); undefined for https and for localhost, 127.0.0.1 and ::1.
 */
export function plainHttpWarning(base: URL): string | undefined {
	if (base.protocol !== "http:" || loopbackHosts.has(base.hostname)) return undefined;
	return `warning: sending the admin token to ${base.host} over plain http: anyone on the way can read it (use https)`;
}

export interface Answer {
	status: number;
	/** The JSON body (null when there was none or it was not JSON). */
	body: Record<string, unknown> | null;
	/** Where a redirect (3xx) leads, as an absolute URL; the redirect is not followed. */
	location?: string;
}

/** `method` `/api/admin<path>` on `base` with the token (and `body` as JSON). Throws when the Worker cannot be reached. */
export async function request(
	base: URL,
	token: string,
	method: "GET" | "POST",
	path: string,
	body?: unknown,
): Promise<Answer> {
	const url = new URL(`/api/admin${path}`, base);
	const response = await fetch(url, {
		method,
		headers: {
			authorization: `Bearer ${token}`,
			accept: "application/json",
			...(body === undefined ? {} : { "content-type": "application/json" }),
		},
		...(body === undefined ? {} : { body: JSON.stringify(body) }),
		// following it would turn a POST into a GET and drop the token: the operator is told instead
		redirect: "manual",
		signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
	});
	if (response.status >= 300 && response.status <= 399) {
		await response.body?.cancel();
		const location = response.headers.get("location");
		let target: string | undefined;
		try {
			target = location ? new URL(location, url).href : undefined;
		} catch {
			target = location ?? undefined;
		}
		return { status: response.status, body: null, ...(target === undefined ? {} : { location: target }) };
	}
	const text = await response.text();
	let json: Record<string, unknown> | null = null;
	try {
		const parsed: unknown = text ? JSON.parse(text) : null;
		json = parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : null;
	} catch {
		json = null;
	}
	return { status: response.status, body: json };
}
