/**
 * Every CLI spawned as a user runs it (`node tools/….ts …`, with the Node running the tests):
 * `--help` prints the usage and exits 0; a bad flag, argument or port prints one line, then that
 * same usage, and exits 2; a server or database out of reach is one line and exit 1. Never a stack
 * trace. No server is started: where a tool needs one, nothing listens on the port it is given.
 */
import { execFile } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const tools = {
	send: "tools/send.ts",
	bench: "tools/bench.ts",
	smoke: "tools/smoke.ts",
	seed: "tools/db/seed.ts",
	migrate: "tools/db/migrate.ts",
};
/** The tools that load the Worker's provider registry run with tsx, as package.json runs them. */
const withTsx: Tool[] = ["send", "bench", "smoke"];
type Tool = keyof typeof tools;

// The developer's own settings must not change what these tools see.
const read = ["PORT", "BRIDGE_PORT", "PGLITE_PORT", "DATABASE_URL", "CLERK_WEBHOOK_SIGNING_SECRET", "EMAIL_PROVIDER"];
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !read.includes(name)));

function run(tool: Tool, args: string[], env: Record<string, string> = {}) {
	return new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
		execFile(
			process.execPath,
			[...(withTsx.includes(tool) ? ["--import", "tsx"] : []), join(root, tools[tool]), ...args],
			{ cwd: root, env: { ...baseEnv, ...env }, timeout: 80_000 },
			(error, stdout, stderr) => {
				if (error && typeof error.code !== "number") reject(error);
				else resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
			},
		);
	});
}

const helps = new Map<Tool, Promise<string>>();
/** What `--help` prints: the usage every usage error must repeat. */
function help(tool: Tool): Promise<string> {
	if (!helps.has(tool))
		helps.set(
			tool,
			run(tool, ["--help"]).then((result) => result.stdout),
		);
	return helps.get(tool) as Promise<string>;
}

function listen(): Promise<ReturnType<typeof createServer>> {
	const server = createServer();
	return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}
const portOf = (server: ReturnType<typeof createServer>) => (server.address() as { port: number }).port;

/** A port nothing listens on (freed just now). */
const closedServer = await listen();
const closed = String(portOf(closedServer));
await new Promise((resolve) => closedServer.close(resolve));
/** A port something holds for the whole file. */
const busyServer = await listen();
const busy = String(portOf(busyServer));
afterAll(() => new Promise((resolve) => busyServer.close(resolve)));

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/** The send CLI's providers, as its usage errors list them: the registry's, by path. */
const providers =
	"clerk, stripe, email resend, email sendgrid, email postmark, email mailgun, shipping easypost, shipping aftership, shipping shippo, email, shipping";
const event = ["clerk", "user.created"];

describe.concurrent("--help", () => {
	it.each(Object.keys(tools) as Tool[])("%s prints its usage and exits 0", async (tool) => {
		const result = await run(tool, ["--help"]);
		expect(result).toMatchObject({ code: 0, stderr: "" });
		expect(result.stdout).toMatch(/^usage: .*npm run \S+/);
		expect(result.stdout).toMatch(/^ {2}-h, --help {8}this help$/m);
	});

	it("help wins over a bad flag", async () => {
		expect(await run("send", ["--bogus", "--help"])).toMatchObject({ code: 0, stdout: await help("send") });
	});
});

describe.concurrent("usage errors: one line, the usage, exit 2", () => {
	it.each<[Tool, string[], Record<string, string>, RegExp]>([
		["send", ["--bogus"], {}, /^unknown option '--bogus'$/],
		["send", [], {}, new RegExp(`^missing <provider>: one of ${providers}$`)],
		["send", ["shopify", "order.created"], {}, new RegExp(`^unknown provider "shopify": one of ${providers}$`)],
		["send", ["constructor", "x"], {}, /^unknown provider "constructor"/],
		["send", ["clerk"], {}, /^missing <type>: one of the clerk types below$/],
		["send", ["clerk", "user.exploded"], {}, /^unknown clerk event type "user.exploded"$/],
		["send", ["clerk", "toString"], {}, /^unknown clerk event type "toString"$/],
		["send", [...event, "extra"], {}, /^unexpected argument 'extra'$/],
		["send", [...event, "--count", "0"], {}, /^--count must be a whole number from 1 to 999999, not "0"$/],
		["send", [...event, "--count", "2.5"], {}, /^--count must be a whole number from 1 to 999999, not "2.5"$/],
		["send", [...event, "--count", "99999999999999999999"], {}, /^--count must be a whole number from 1 to 999999/],
		["send", [...event, "--url", "http://user:pw@127.0.0.1:8787"], {}, /^--url must not carry a user or password$/],
		["send", [...event, "--count"], {}, /^option '--count <value>' argument missing$/],
		["send", [...event, "--set", "first_name"], {}, /^--set expects path=value, got "first_name"$/],
		["send", [...event, "--port", "0"], {}, /^--port must be a port number from 1 to 65535, not "0"$/],
		["send", event, { PORT: "eighty" }, /^PORT must be a port number from 1 to 65535, not "eighty"$/],
		["send", [...event, "--url", "localhost:8787"], {}, /^--url must be an http\(s\) URL, not "localhost:8787"$/],
		["send", [...event, "--url", "https://x.example", "--port", "8787"], {}, /^pass --url or --port, not both$/],
		["send", [...event, "--secret", "not-base64!"], {}, /^cannot sign with --secret \(.+\): it/],
		["send", ["email", "bogus", "delivered"], {}, new RegExp(`^unknown provider "email bogus": one of ${providers}$`)],
		["send", ["email", "resend"], {}, /^missing <type>: one of the email resend types below$/],
		["send", ["email", "resend", "exploded"], {}, /^unknown email resend event type "exploded"$/],
		["send", ["email", "postmark", "sent"], {}, /^unknown email postmark event type "sent"$/],
		[
			"send",
			["email", "delivered"],
			{ EMAIL_PROVIDER: "smtp" },
			/^EMAIL_PROVIDER=smtp names no provider served at \/api\/webhooks\/email/,
		],
		[
			"send",
			[...event, "--to", "ada@example.com"],
			{},
			/^--to is for email providers; clerk events name no recipient$/,
		],
		["send", ["email", "resend", "delivered", "--to", "nobody"], {}, /^--to must be an email address, not "nobody"$/],
		[
			"send",
			["email", "postmark", "delivered", "--port", closed, "--secret", "no-colon"],
			{},
			/^cannot sign with --secret \(Postmark's credentials are user:password\): it should be the user:password/,
		],
		[
			"send",
			["email", "sendgrid", "delivered", "--port", closed, "--secret", "not a key"],
			{},
			/^cannot sign with --secret \(.+\): it should be a P-256 private key, PEM or base64 PKCS#8$/,
		],
		["bench", ["--bogus"], {}, /^unknown option '--bogus'$/],
		["bench", ["--events", "0"], {}, /^--events must be a positive integer, not "0"$/],
		["bench", ["--concurrency", "many"], {}, /^--concurrency must be a positive integer, not "many"$/],
		["bench", ["--events"], {}, /^option '--events <value>' argument missing$/],
		["bench", ["--batches", "0"], {}, /^--batches must be a positive integer, not "0"$/],
		["bench", ["--port", "70000"], {}, /^--port must be a port number from 1 to 65535, not "70000"$/],
		["bench", [], { PORT: "65535" }, /^PORT=65535 leaves no room for the bridge \(port \+ 1 = 65536\)/],
		["bench", ["300"], {}, /^unexpected argument '300'$/],
		["smoke", ["--bogus"], {}, /^unknown option '--bogus'$/],
		["smoke", ["--pglite-port", "x"], {}, /^--pglite-port must be a port number from 1 to 65535, not "x"$/],
		["smoke", ["--port", "9000", "--bridge-port", "9000"], {}, /would share port 9000/],
		["smoke", ["now"], {}, /^unexpected argument 'now'$/],
		["seed", ["--bogus"], {}, /^unknown option '--bogus'$/],
		["seed", ["--port", "abc"], {}, /^--port must be a port number from 1 to 65535, not "abc"$/],
		["seed", [], { BRIDGE_PORT: "5488x" }, /^BRIDGE_PORT must be a port number from 1 to 65535, not "5488x"$/],
		["seed", ["--pglite-port", "1"], {}, /^unknown option '--pglite-port'$/],
		["migrate", [], {}, /^DATABASE_URL is not set: set it to the database to migrate$/],
		["migrate", ["--bogus"], {}, /^unknown option '--bogus'$/],
		["migrate", ["up"], {}, /^unexpected argument 'up'$/],
		["migrate", [], { DATABASE_URL: "mysql://root:hunter2@127.0.0.1/shop" }, /^DATABASE_URL must be a postgres:/],
	])("%s %j %j", async (tool, args, env, message) => {
		const [result, usage] = await Promise.all([run(tool, args, env), help(tool)]);
		expect(result.code).toBe(2);
		expect(result.stdout).toBe("");
		expect(result.stderr.endsWith(`\n\n${usage}`)).toBe(true);
		const line = result.stderr.slice(0, -usage.length - 2);
		expect(line).not.toContain("\n");
		expect(line).toMatch(message);
		expect(result.stderr).not.toContain("    at ");
		expect(result.stderr).not.toContain("hunter2");
	});
});

describe.concurrent("nothing to reach: one line, exit 1", () => {
	it.each<[Tool, string[], Record<string, string>, RegExp]>([
		[
			"seed",
			["--port", "1"],
			{},
			/^could not seed: nothing answers at http:\/\/127\.0\.0\.1:2\/sql \(.*ECONNREFUSED.*\): start npm run dev, or pass the --port \(PORT\) or --bridge-port \(BRIDGE_PORT\) of the one running$/,
		],
		[
			"seed",
			[],
			{ BRIDGE_PORT: closed },
			new RegExp(`^could not seed: nothing answers at http://127\\.0\\.0\\.1:${closed}/sql `),
		],
		[
			"migrate",
			[],
			{ DATABASE_URL: `postgres://postgres:hunter2@127.0.0.1:${closed}/shop` },
			new RegExp(`^could not migrate PostgreSQL at 127\\.0\\.0\\.1:${closed}/shop: connect ECONNREFUSED`),
		],
		[
			"send",
			[...event, "--port", closed, "--secret", secret],
			{},
			new RegExp(
				`^#1 clerk user\\.created \\S+: could not reach http://127\\.0\\.0\\.1:${closed}/api/webhooks/clerk \\(`,
			),
		],
		[
			"smoke",
			["--port", busy],
			{},
			new RegExp(`^smoke run FAILED: cannot start npm run dev on 127\\.0\\.0\\.1: port ${busy} \\(--port\\) in use`),
		],
		[
			"bench",
			[],
			{ PORT: busy },
			new RegExp(`^bench: cannot start npm run dev on 127\\.0\\.0\\.1: port ${busy} \\(--port\\) in use`),
		],
	])("%s %j %j", async (tool, args, env, message) => {
		const result = await run(tool, args, env);
		expect(result.code).toBe(1);
		expect(result.stdout).toBe("");
		expect(result.stderr.trimEnd()).toMatch(message);
		expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
		expect(result.stderr).not.toContain("    at ");
		expect(result.stderr).not.toContain("hunter2");
	});
});
