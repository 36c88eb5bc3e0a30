/**
 * @module tools/db/url
 * Which database settings name a PostgreSQL server. Light on purpose (no driver imports): the
 * vitest config and every tool read it before deciding what to start.
 */

/** True for a `postgres://` or `postgresql://` connection string (a real server, not the embedded PGlite). */
export function isPostgresUrl(url: string | undefined): url is string {
	return !!url && /^postgres(ql)?:\/\//.test(url);
}
