/**
 * @module admin/auth
 * Who may operate the ledger: whoever holds ADMIN_TOKEN (a secret, `wrangler secret put ADMIN_TOKEN`).
 * Unset (or blank), the admin is off: every admin path answers 404, as if it did not exist. The API
 * takes the token as `Authorization: Bearer <token>` (Hono's bearerAuth), the dashboard from its
 * cookie; both compare through `isAdminToken`, in constant time. Trust boundary: everything behind
 * these checks is the operator's; nothing here logs or echoes a token.
 */
import type { MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { timingSafeEqual, utf8 } from "../signatures/bytes";
import { setting } from "../webhooks/provider";

/** The secret's name. */
export const ADMIN_TOKEN = "ADMIN_TOKEN";

/** The admin token, when one is set (surrounding spaces ignored: a pasted secret often has them). */
function adminToken(env: Env): string | undefined {
	return setting(env, ADMIN_TOKEN)?.trim() || undefined;
}

/** True when ADMIN_TOKEN is set: the admin API and dashboard exist. */
export function adminEnabled(env: Env): boolean {
	return adminToken(env) !== undefined;
}

const digest = async (text: string) => new Uint8Array(await crypto.subtle.digest("SHA-256", utf8(text)));

/**
 * True when `candidate` is the admin token. Both are hashed first (SHA-256), so that the comparison
 * takes the same time whatever the candidate's length, then compared with crypto.subtle.timingSafeEqual.
 * False whenever the admin is off.
 */
export async function isAdminToken(env: Env, candidate: string | undefined): Promise<boolean> {
	const token = adminToken(env);
	if (token === undefined || candidate === undefined) return false;
	const [expected, given] = await Promise.all([digest(token), digest(candidate)]);
	return timingSafeEqual(expected, given);
}

/** The answer to every admin path while the admin is off: the app's own 404. */
export const notFoundBody = { error: "not_found", message: "No such route." } as const;

/** 404 on every path it guards unless ADMIN_TOKEN is set. */
export const adminOnly: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
	if (!adminEnabled(c.env)) return c.json(notFoundBody, 404);
	await next();
};

const unauthorized = {
	error: "unauthorized",
	message: "Send the admin token: Authorization: Bearer <ADMIN_TOKEN>.",
} as const;

/**
 * The API's authentication: Hono's bearerAuth with `isAdminToken`. A missing or wrong token is 401;
 * an Authorization header that is not `Bearer <token>` in RFC 6750's characters is 400 (bearerAuth's
 * own rule). Bodies are JSON, `{error, message}`.
 */
export const adminBearer: MiddlewareHandler<{ Bindings: Env }> = bearerAuth<{ Bindings: Env }>({
	verifyToken: (token, c) => isAdminToken(c.env, token),
	noAuthenticationHeader: { message: unauthorized },
	invalidToken: { message: unauthorized },
	invalidAuthenticationHeader: {
		message: {
			error: "invalid_authorization",
			message: "The Authorization header must be `Bearer <ADMIN_TOKEN>`.",
		},
	},
});
