/**
 * Test helper: a database the Worker cannot reach, for the paths that must answer 503.
 *
 * Its requests fail at the network edge, in `fetch`, with the error workerd gives a refused
 * connection; above `fetch` everything runs as in production (the Neon driver turns the error into
 * "Error connecting to database: …", then drizzle, then our code). A real closed port would prove no
 * more and is not quiet: under the vitest plugin each outbound request goes through miniflare's
 * outbound Worker, and when the connection is refused, reset or closed, workerd logs it as an uncaught
 * exception of that Worker with native stack traces, although the Worker under test handles the error.
 */

/** A connection string whose database nobody can reach. */
export const unreachableDatabaseUrl = "postgres://shop:local@localhost:9/shop";

const unreachableHost = new URL(unreachableDatabaseUrl).host;

/** What workerd's `fetch` rejects with when the connection is refused (workerd 1.20261102). */
export const refusedConnectionError = () => new Error("Network connection lost.");

/** `realFetch`, except that requests to the unreachable database's host fail as a refused connection does. */
export function withUnreachableDatabase(realFetch: typeof fetch): typeof fetch {
	return (input, init) => {
		const url = new URL(input instanceof Request ? input.url : String(input));
		if (url.host === unreachableHost) return Promise.reject(refusedConnectionError());
		return realFetch(input, init);
	};
}
