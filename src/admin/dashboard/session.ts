/**
 * @module admin/dashboard/session
 * The dashboard's log-in: the admin token the operator pasted, kept in the `admin_token` cookie
 * (HttpOnly: no script reads it; Secure; SameSite=Strict: no other site's page sends it; Path=/admin:
 * nothing else on the host receives it) and compared with ADMIN_TOKEN in constant time on every
 * request (admin/auth.ts). A browser session cookie: it ends with the browser, or at log-out.
 * Trust boundary: the cookie is the operator's credential; it is never logged or shown.
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { CookieOptions } from "hono/utils/cookie";
import { isAdminToken } from "../auth";

/** The cookie's name. */
export const sessionCookie = "admin_token";

/** Its attributes, the same when it is set and when it is deleted. */
export const sessionCookieOptions = {
	httpOnly: true,
	secure: true,
	sameSite: "Strict",
	path: "/admin",
} as const satisfies CookieOptions;

/** True when the request carries the admin token in its cookie. */
export function signedIn<E extends { Bindings: Env }>(c: Context<E>): Promise<boolean> {
	return isAdminToken(c.env, getCookie(c, sessionCookie));
}

/**
 * Logs the operator in when `token` is the admin token (surrounding spaces, which a paste often
 * brings, ignored): sets the cookie and answers true; false, and no cookie, otherwise.
 */
export async function logIn<E extends { Bindings: Env }>(c: Context<E>, token: string): Promise<boolean> {
	const pasted = token.trim();
	if (!(await isAdminToken(c.env, pasted))) return false;
	setCookie(c, sessionCookie, pasted, sessionCookieOptions);
	return true;
}

/** Logs the operator out: the cookie is deleted (expired with the same attributes). */
export function logOut<E extends { Bindings: Env }>(c: Context<E>): void {
	deleteCookie(c, sessionCookie, sessionCookieOptions);
}
