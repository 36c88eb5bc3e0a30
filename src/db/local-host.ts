/**
 * @module db/local-host
 * Which database hosts are on this machine: the Worker sends them to the local bridge instead of
 * Neon, and the tests refuse every other host (they empty the database they are given).
 */

/** True for localhost, 127.x, ::1 and *.localtest.me (which resolves to 127.0.0.1), in any case. */
export function isLocalDatabaseHost(host: string): boolean {
	const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
	return (
		bare === "localhost" ||
		bare === "::1" ||
		/^127(\.\d{1,3}){3}$/.test(bare) ||
		bare === "localtest.me" ||
		bare.endsWith(".localtest.me")
	);
}
