/**
 * Which database `npm test` may use. The tests empty the database they are given, so they read only
 * their own variable, TEST_DATABASE_URL (never DATABASE_URL, which may name production), and accept
 * a server on this machine only, unless TEST_DATABASE_ALLOW_REMOTE=1 says the remote one is
 * throw-away. Node side: read by vitest.config.ts before anything starts.
 */
import { parse } from "pg-connection-string";
import { isLocalDatabaseHost } from "../../src/db/local-host.ts";
import { isPostgresUrl } from "../../tools/db/url.ts";

export type TestDatabaseChoice =
	| { ok: true; url: string | undefined; notes: string[] }
	| { ok: false; message: string };

/** Decides from the environment; never throws. `url` undefined means embedded PGlite in memory. */
export function chooseTestDatabase(env: Record<string, string | undefined>): TestDatabaseChoice {
	const notes: string[] = [];
	if (env.DATABASE_URL) {
		notes.push(
			"DATABASE_URL is set but npm test never uses it (it may be your real database); " +
				(env.TEST_DATABASE_URL
					? "the tests use TEST_DATABASE_URL"
					: "to run the tests on a PostgreSQL server, set TEST_DATABASE_URL=postgres://… (it is emptied first)"),
		);
	}
	const raw = env.TEST_DATABASE_URL;
	if (!raw) return { ok: true, url: undefined, notes };
	if (!isPostgresUrl(raw)) {
		return {
			ok: false,
			message: "TEST_DATABASE_URL must be a postgres:// URL, e.g. postgres://postgres@127.0.0.1:5432/test",
		};
	}
	// As pg reads it: no host means PGHOST or the local socket; a socket directory is this machine.
	let host: string;
	try {
		host = parse(raw).host || env.PGHOST || "";
	} catch {
		return { ok: false, message: "TEST_DATABASE_URL is not a valid URL: expected postgres://user@host:port/database" };
	}
	if (host.startsWith("/")) return { ok: true, url: raw, notes };
	if (host !== "" && !isLocalDatabaseHost(host) && env.TEST_DATABASE_ALLOW_REMOTE !== "1") {
		return {
			ok: false,
			message:
				`refusing to run the tests on ${host}: they empty the database they are given, and ${host} is not ` +
				"this machine. Use a local throw-away database, or set TEST_DATABASE_ALLOW_REMOTE=1 if this one is throw-away.",
		};
	}
	return { ok: true, url: raw, notes };
}
