/**
 * `npm run dev [-- --port N] [--bridge-port N] [--pglite-port N] [--json] [wrangler flags…]`:
 * the local stack as one unit. Takes the embedded database folder's lock (one server per folder),
 * starts the database (embedded PGlite in .data/, or the server named by DATABASE_URL=postgres://…)
 * behind the Neon-protocol bridge, then `wrangler dev` with DATABASE_URL pointing the Worker at the
 * bridge. Shows each webhook as one human line (`--json`: the Worker's JSON lines, bare).
 * SIGINT, SIGTERM, SIGHUP, or the loss of the parent process (npm killed) stop everything; wrangler
 * exiting stops the database, and a database failure stops wrangler, each with a message.
 * On first run it creates .dev.vars from .dev.vars.example (working test secrets).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, copyFileSync, existsSync, readFileSync, realpathSync } from "node:fs";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { errorLine, parseCommandLine } from "./cli.ts";
import { DataFolderInUse, lockDataFolder } from "./db/data-lock.ts";
import { type LocalDatabase, startLocalDatabase } from "./db/local-database.ts";
import { isPostgresUrl } from "./db/url.ts";
import { type Formatter, humanFormatter, jsonFormatter } from "./dev/log-lines.ts";
import { missingDotVars, readDotVars, requiredSecrets } from "./dot-vars.ts";
import { portOptions, portsFromCommandLine, portUsage, takenPorts } from "./ports.ts";
import { stopWithParent } from "./process/parent.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const usage = `usage: npm run dev [-- options] [wrangler dev flags…]
${portUsage}
  --json            show the Worker's log lines as bare JSON (as wrangler tail gets them), not one human line each
  -h, --help        this help
Other flags go to wrangler dev (e.g. --inspector-port 9230 --log-level debug).
Environment: DATABASE_URL=postgres://… uses that server instead of the embedded PGlite;
LOCAL_DB_DIR (default .data/pglite) is the embedded database's folder.`;

const { values, rest } = parseCommandLine({
	usage,
	options: { ...portOptions, json: { type: "boolean" } },
	passThrough: true,
});
const ports = portsFromCommandLine(values, usage);
const url = `http://127.0.0.1:${ports.port}`;
const embedded = !isPostgresUrl(process.env.DATABASE_URL);
/** The embedded database's folder, symbolic links resolved (PGlite cannot open one; the lock must be the folder's). */
function dataFolder(setting: string): string {
	const path = resolve(root, setting);
	try {
		return realpathSync(path);
	} catch {
		return path; // not created yet
	}
}
const dataDir = dataFolder(process.env.LOCAL_DB_DIR || ".data/pglite");

/** Prints one line prefixed with the tool's name, to stderr. */
function say(message: string) {
	console.error(`npm run dev: ${message}`);
}

/**
 * Creates .dev.vars, or appends the variables a newer .dev.vars.example introduced (a new provider's
 * test secret), each with its comment; what is already there is never changed.
 */
function ensureDevVars() {
	const [example, devVars] = [`${root}.dev.vars.example`, `${root}.dev.vars`];
	if (!existsSync(devVars)) {
		copyFileSync(example, devVars);
		console.log("created .dev.vars from .dev.vars.example (local test secrets)");
		return;
	}
	const missing = missingDotVars(readFileSync(example, "utf8"), readDotVars(devVars));
	if (missing.names.length === 0) return;
	appendFileSync(devVars, missing.text);
	console.log(`added ${missing.names.join(", ")} to .dev.vars from .dev.vars.example (local test secrets)`);
}

let releaseLock = () => {};
let local: LocalDatabase | undefined;
let wrangler: ChildProcess | undefined;
let stopping = false;

/** Signals wrangler's whole process group (wrangler, its Node child, workerd, esbuild). */
function signalWrangler(signal: NodeJS.Signals | 0): boolean {
	if (!wrangler?.pid) return false;
	try {
		process.kill(-wrangler.pid, signal);
		return true;
	} catch {
		return false; // the group is gone
	}
}

async function wranglerGone(withinMs: number): Promise<boolean> {
	const deadline = Date.now() + withinMs;
	while (Date.now() < deadline) {
		if (!signalWrangler(0)) return true;
		await new Promise((r) => setTimeout(r, 100));
	}
	return false;
}

/** Stops everything once: wrangler's group, then the bridge and the database, then the lock. */
async function stop(code: number, reason?: string): Promise<never> {
	if (stopping) return new Promise<never>(() => {});
	stopping = true;
	if (reason) say(reason);
	if (signalWrangler("SIGTERM") && !(await wranglerGone(5000))) signalWrangler("SIGKILL");
	try {
		await local?.stop();
	} catch (error) {
		say(`the database did not close cleanly: ${(error as Error).message}`);
		code ||= 1;
	}
	releaseLock();
	process.exit(code);
}

// Last resorts, synchronous: never leave wrangler or the lock behind.
process.on("exit", () => {
	signalWrangler("SIGTERM");
	releaseLock();
});
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
	process.on(signal, () => stop(0));
}
for (const event of ["uncaughtException", "unhandledRejection"] as const) {
	process.on(event, (error) => stop(1, `stopping after an unexpected error: ${errorLine(error)}`));
}
// npm killed with SIGKILL or SIGHUP (it passes on only SIGINT and SIGTERM): when it goes, we go.
stopWithParent(() => stop(0, "the process that started npm run dev is gone; stopping"));

/** Copies a child's output line by line through a formatter. */
function relay(stream: NodeJS.ReadableStream, out: NodeJS.WriteStream, formatter: Formatter) {
	createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (line) => {
		const shown = formatter.format(line);
		if (shown !== null) out.write(`${shown}\n`);
	});
}

try {
	if (embedded) releaseLock = lockDataFolder(dataDir, { url });
	const taken = await takenPorts(ports, embedded);
	if (taken) throw new Error(`port ${taken}: pass another --port, or stop what holds it`);
	ensureDevVars();
	local = await startLocalDatabase({
		port: ports.bridgePort,
		pglitePort: ports.pglitePort,
		databaseUrl: process.env.DATABASE_URL,
		dataDir,
	});
} catch (error) {
	if (error instanceof DataFolderInUse) {
		say(`refused: ${error.message}`);
		process.exit(1);
	}
	await stop(1, errorLine(error));
}
console.log(
	`database: ${local?.description}, migrated; Neon-protocol bridge on 127.0.0.1:${ports.bridgePort}` +
		(local?.pgliteUrl ? `; Postgres protocol at ${local.pgliteUrl} (npm run db:studio)` : ""),
);

/**
 * `--var NAME:value` for each variable of .dev.vars that `wrangler dev` would not load: with a
 * `[secrets]` table it loads only the names `required` lists, and the email providers' secrets are
 * not required (a deployment sets those of the provider it uses). DATABASE_URL is the bridge's.
 */
function optionalSecrets(): string[] {
	const required = requiredSecrets(readFileSync(`${root}wrangler.toml`, "utf8"));
	return Object.entries(readDotVars(`${root}.dev.vars`))
		.filter(([name]) => name !== "DATABASE_URL" && !required.includes(name))
		.flatMap(([name, value]) => ["--var", `${name}:${value}`]);
}

const json = values.json === true;
const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
wrangler = spawn(
	process.execPath,
	// --env-file makes wrangler read .dev.vars AND process.env, where DATABASE_URL names the bridge.
	[
		// If we are killed with SIGKILL, wrangler's group notices and stops itself.
		"--import",
		`${root}tools/process/die-with-parent.ts`,
		`${root}node_modules/wrangler/bin/wrangler.js`,
		"dev",
		"--ip",
		"127.0.0.1",
		"--port",
		String(ports.port),
		"--env-file",
		".dev.vars",
		// GET /__scheduled runs the cron trigger's handler (the sweep) on demand: locally it runs on no schedule
		"--test-scheduled",
		...optionalSecrets(),
		...rest,
	],
	{
		cwd: root,
		// Its own process group, so that stopping reaches workerd too; no stdin (a background group
		// reading the terminal would be stopped by the kernel), so wrangler's hotkeys are off.
		detached: true,
		stdio: ["ignore", "pipe", "pipe"],
		env: {
			...process.env,
			DATABASE_URL: local?.workerUrl,
			WRANGLER_SEND_METRICS: "false",
			CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? "false",
			...(color ? { FORCE_COLOR: "1" } : {}),
		},
	},
);
for (const [from, to] of [
	[wrangler.stdout, process.stdout],
	[wrangler.stderr, process.stderr],
] as const) {
	relay(from as NodeJS.ReadableStream, to, json ? jsonFormatter() : humanFormatter(color));
}
wrangler.on("exit", (code, signal) => {
	if (!stopping) stop(code || 1, `wrangler dev exited (${signal ?? `code ${code}`}); stopping the database`);
});
wrangler.on("error", (error) => stop(1, `could not start wrangler dev: ${error.message}`));
