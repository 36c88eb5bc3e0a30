/**
 * `npm run db:studio`: drizzle-kit studio on the database named by DATABASE_URL, or else on the
 * embedded PGlite of a running `npm run dev` (its Postgres port, PGLITE_PORT, default PORT + 2).
 * Trust boundary: studio reads and writes that database without authentication, so it listens on
 * 127.0.0.1 only (passed explicitly: drizzle-kit's help says 0.0.0.0); the web page at
 * https://local.drizzle.studio talks to it from this machine's browser.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { errorLine, parseCommandLine, usageError } from "../cli.ts";
import { portNumber, portOptions, portProblem, portsFromCommandLine, portUsage } from "../ports.ts";
import { stopWithParent } from "../process/parent.ts";
import { isPostgresUrl } from "./url.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const usage = `usage: npm run db:studio [-- options] [drizzle-kit studio flags…]
Opens drizzle-kit studio (https://local.drizzle.studio) on DATABASE_URL=postgres://… when it is
set, otherwise on the embedded database of the \`npm run dev\` started with the same port flags.
${portUsage}
  --studio-port N   drizzle-kit studio's port (default 4983)
  -h, --help        this help
Other flags go to drizzle-kit studio (e.g. --verbose).`;

const { values, rest } = parseCommandLine({
	usage,
	options: { ...portOptions, "studio-port": { type: "string" } },
	passThrough: true,
});

/** Prints one line prefixed with the tool's name and exits 1. */
function fail(message: string): never {
	console.error(`npm run db:studio: ${message}`);
	process.exit(1);
}

/** Connects to `url` and runs `select 1`; resolves with the failure, or undefined when it answers. */
async function probe(url: string): Promise<Error | undefined> {
	let client: pg.Client;
	try {
		client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
	} catch {
		return new Error("it is not a valid URL");
	}
	client.on("error", () => {}); // a failure also rejects connect() or query()
	try {
		await client.connect();
		await client.query("select 1");
		return undefined;
	} catch (error) {
		return error as Error;
	} finally {
		await client.end().catch(() => {});
	}
}

/** The database to open: DATABASE_URL, or the running dev server's embedded PGlite. Exits unless it answers. */
async function databaseUrl(): Promise<string> {
	const configured = process.env.DATABASE_URL;
	if (configured) {
		if (!isPostgresUrl(configured)) fail("DATABASE_URL must be a postgres:// or postgresql:// URL");
		const failure = await probe(configured);
		if (failure) fail(`the database named by DATABASE_URL does not answer (${errorLine(failure)})`);
		return configured;
	}
	const { pglitePort } = portsFromCommandLine(values, usage);
	const url = `postgres://postgres@127.0.0.1:${pglitePort}/postgres`;
	const failure = await probe(url);
	if ((failure as NodeJS.ErrnoException | undefined)?.code === "ECONNREFUSED") {
		fail(
			`nothing listens on 127.0.0.1:${pglitePort}: \`npm run dev\` is not running there ` +
				"(start it, pass its --port or --pglite-port, or set DATABASE_URL to open another database)",
		);
	}
	if (failure) fail(`127.0.0.1:${pglitePort} does not answer as Postgres (${errorLine(failure)})`);
	return url;
}

let studioPort: string;
try {
	studioPort = String(portNumber("--studio-port", values["studio-port"] ?? "4983"));
} catch (error) {
	usageError(usage, (error as Error).message);
}
const url = await databaseUrl();
// drizzle-kit would die with a stack trace on a taken port.
const problem = await portProblem(Number(studioPort));
if (problem) fail(`studio's port ${studioPort} is ${problem} (another drizzle-kit studio?): pass --studio-port N`);

// drizzle.config.ts reads DATABASE_URL.
const studio = spawn(
	process.execPath,
	[
		// If we are killed with SIGKILL, drizzle-kit notices and stops itself.
		"--import",
		`${root}tools/process/die-with-parent.ts`,
		`${root}node_modules/drizzle-kit/bin.cjs`,
		"studio",
		"--host",
		"127.0.0.1",
		"--port",
		studioPort,
		...rest,
	],
	{ cwd: root, stdio: "inherit", env: { ...process.env, DATABASE_URL: url } },
);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => studio.kill(signal));
// npm killed with SIGKILL or SIGHUP (it passes on only SIGINT and SIGTERM): when it goes, studio goes.
stopWithParent(() => studio.kill("SIGTERM"));
studio.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
