/**
 * The local ports, resolved one way for every tool (`dev`, `send`, `db:seed`, `db:studio`, `smoke`,
 * `bench`): a flag wins over the environment variable, which wins over the default.
 *
 * | what                                        | flag            | variable      | default     |
 * | ------------------------------------------- | --------------- | ------------- | ----------- |
 * | `wrangler dev` (the webhooks)               | `--port`        | `PORT`        | 8787        |
 * | the Neon-protocol bridge                    | `--bridge-port` | `BRIDGE_PORT` | port + 1    |
 * | the embedded PGlite, Postgres wire protocol | `--pglite-port` | `PGLITE_PORT` | port + 2    |
 *
 * Deriving the others from the port means one number names a dev server: a second one on
 * `--port 8797` needs no other setting, and `PORT=8797 npm run db:seed` finds its bridge.
 * Trust boundary: every port is on 127.0.0.1; values come from the user and are checked here.
 */
import { createServer } from "node:net";
import { usageError } from "./cli.ts";

export interface Ports {
	port: number;
	bridgePort: number;
	pglitePort: number;
}

export interface PortFlags {
	port?: string | undefined;
	"bridge-port"?: string | undefined;
	"pglite-port"?: string | undefined;
}

/** The flags that select ports, for a tool's `parseCommandLine` options. */
export const portOptions = {
	port: { type: "string" },
	"bridge-port": { type: "string" },
	"pglite-port": { type: "string" },
} as const;

/**
 * Usage lines for some of `portOptions`; `portDefault` says what the port defaults to (tools that
 * start their own server default to a free one).
 */
export function describePortOptions(
	names: (keyof typeof portOptions)[] = ["port", "bridge-port", "pglite-port"],
	portDefault = "8787",
): string {
	const lines = {
		port: `  --port N          wrangler dev's port (PORT, default ${portDefault})`,
		"bridge-port": "  --bridge-port N   the Neon-protocol bridge's port (BRIDGE_PORT, default port + 1)",
		"pglite-port": "  --pglite-port N   the embedded PGlite's Postgres port (PGLITE_PORT, default port + 2)",
	};
	return names.map((name) => lines[name]).join("\n");
}

/** Usage lines for `portOptions`. */
export const portUsage = describePortOptions();

/** A port value that is not one: its message is one line for the user. */
export class PortError extends Error {}

/** `value` as a port number; throws PortError naming `name` (a flag or variable) when it is not one. */
export function portNumber(name: string, value: string): number {
	const port = Number(value);
	if (!/^\d+$/.test(value) || port < 1 || port > 65535) {
		throw new PortError(`${name} must be a port number from 1 to 65535, not "${value}"`);
	}
	return port;
}

/** The three ports in order; each but the first defaults to the first plus its offset. */
const portSpecs = [
	{ what: "wrangler dev", flag: "port", variable: "PORT", offset: 0 },
	{ what: "the bridge", flag: "bridge-port", variable: "BRIDGE_PORT", offset: 1 },
	{ what: "PGlite", flag: "pglite-port", variable: "PGLITE_PORT", offset: 2 },
] as const;

/**
 * Resolves the ports from flags, then `env`, then the defaults. `defaultPort` replaces 8787 (tools
 * that start their own server pass a free port). Throws PortError (one line) on a value that is
 * not a port, on a derived port above 65535, and on two ports that coincide.
 */
export function resolvePorts(
	flags: PortFlags,
	env: Record<string, string | undefined> = process.env,
	defaultPort = 8787,
): Ports {
	// Where each number came from, for messages: "--port 8787", "PORT=8787", "port + 1".
	let base = { port: defaultPort, source: `the default ${defaultPort}` };
	const resolved = portSpecs.map(({ what, flag, variable, offset }) => {
		const given = flags[flag];
		const value = given ?? (env[variable] || undefined);
		if (value !== undefined) {
			const port = portNumber(given !== undefined ? `--${flag}` : variable, value);
			const source = given !== undefined ? `--${flag} ${value}` : `${variable}=${value}`;
			if (offset === 0) base = { port, source };
			return { what, flag, port, source };
		}
		const port = base.port + offset;
		if (port > 65535) {
			throw new PortError(
				`${base.source} leaves no room for ${what} (port + ${offset} = ${port}): pass a lower port or --${flag}`,
			);
		}
		return { what, flag, port, source: offset === 0 ? base.source : `port + ${offset}` };
	});
	for (const [index, a] of resolved.entries()) {
		const b = resolved.find((other, later) => later > index && other.port === a.port);
		if (b) {
			throw new PortError(
				`${a.what} (${a.source}) and ${b.what} (${b.source}) would share port ${a.port}: give ${b.what} its own with --${b.flag}`,
			);
		}
	}
	const [port, bridge, pglite] = resolved.map((entry) => entry.port) as [number, number, number];
	return { port, bridgePort: bridge, pglitePort: pglite };
}

/** `resolvePorts` for a command line: a PortError prints its line and `usage`, and exits 2. */
export function portsFromCommandLine(
	flags: PortFlags,
	usage: string,
	defaultPort?: number,
	env: Record<string, string | undefined> = process.env,
): Ports {
	try {
		return resolvePorts(flags, env, defaultPort);
	} catch (error) {
		if (error instanceof PortError) usageError(usage, error.message);
		throw error;
	}
}

/** Why 127.0.0.1:`port` cannot be listened on right now ("in use", "EACCES"…), or undefined if it can. */
export function portProblem(port: number): Promise<string | undefined> {
	return new Promise((resolve) => {
		const server = createServer();
		server.once("error", (error: NodeJS.ErrnoException) =>
			resolve(error.code === "EADDRINUSE" ? "in use" : (error.code ?? error.message)),
		);
		server.listen(port, "127.0.0.1", () => server.close(() => resolve(undefined)));
	});
}

/**
 * The ports of `ports` that 127.0.0.1 cannot listen on now, described for a message, e.g.
 * "8787 (--port) in use, 8788 (--bridge-port) in use"; undefined when all are free.
 * `withPglite` false leaves the embedded PGlite's port out (a server on DATABASE_URL needs none).
 */
export async function takenPorts(ports: Ports, withPglite = true): Promise<string | undefined> {
	const named: [string, number][] = [
		["--port", ports.port],
		["--bridge-port", ports.bridgePort],
		...(withPglite ? [["--pglite-port", ports.pglitePort] as [string, number]] : []),
	];
	const problems = await Promise.all(named.map(([, port]) => portProblem(port)));
	const taken = named.flatMap(([flag, port], index) =>
		problems[index] ? [`${port} (${flag}) ${problems[index]}`] : [],
	);
	return taken.length > 0 ? taken.join(", ") : undefined;
}

/** A port that is free on 127.0.0.1 now (the OS picks it). */
export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once("error", reject);
		server.listen(0, "127.0.0.1", () => {
			const { port } = server.address() as { port: number };
			server.close(() => resolve(port));
		});
	});
}

/**
 * A port p such that p, p + 1 and p + 2 are free on 127.0.0.1 now: the default port for the tools
 * that start their own dev server, so they never collide with a developer's `npm run dev`.
 */
export async function findFreePorts(): Promise<number> {
	for (let attempt = 0; attempt < 20; attempt++) {
		const base = await freePort();
		if (base + 2 > 65535) continue;
		const problems = await Promise.all([base, base + 1, base + 2].map(portProblem));
		if (problems.every((problem) => problem === undefined)) return base;
	}
	throw new PortError("found no three consecutive free ports on 127.0.0.1: pass --port");
}
