/**
 * `npm run dev` as a user runs it (the real npm, wrangler and workerd, an embedded database in a
 * temporary folder): it serves, shows a webhook as one human line, refuses a second server on the
 * same folder, and SIGTERM to npm leaves no process, port or lock behind.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Webhook } from "svix";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { firstSecret, readDotVars } from "../../tools/dot-vars.ts";
import { freePort } from "../../tools/ports.ts";
import { isRunning } from "../../tools/process/parent.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), "dev-stack-"));
// Inside a folder that does not exist yet, as .data/ in a fresh clone.
const folder = join(dataDir, "data", "pglite");

/** `npm run dev -- args` in its own process group, collecting its output. */
function npmRunDev(args: string[]) {
	const output = { stdout: "", stderr: "" };
	const child = spawn("npm", ["run", "dev", "--", ...args], {
		cwd: root,
		// Nothing of the caller's shell: wrangler would prefer an exported secret to .dev.vars.
		env: {
			...process.env,
			DATABASE_URL: "",
			LOCAL_DB_DIR: folder,
			PORT: "",
			BRIDGE_PORT: "",
			PGLITE_PORT: "",
			CLERK_WEBHOOK_SIGNING_SECRET: undefined,
			STRIPE_WEBHOOK_SECRET: undefined,
		},
		stdio: ["ignore", "pipe", "pipe"],
		detached: true,
	});
	child.stdout?.on("data", (chunk) => {
		output.stdout += chunk;
	});
	child.stderr?.on("data", (chunk) => {
		output.stderr += chunk;
	});
	const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
	return { child, output, exited };
}

/** Every process below `pid` (from `ps`, Linux and macOS). */
function descendants(pid: number): number[] {
	const table = execFileSync("ps", ["-A", "-o", "pid=,ppid="], { encoding: "utf8" })
		.trim()
		.split("\n")
		.map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
	const found: number[] = [];
	const queue = [pid];
	while (queue.length > 0) {
		const parent = queue.shift() as number;
		for (const [child, ppid] of table) {
			if (ppid === parent) {
				found.push(child);
				queue.push(child);
			}
		}
	}
	return found;
}

async function until<T>(what: string, withinMs: number, probe: () => Promise<T | undefined> | T | undefined) {
	const deadline = Date.now() + withinMs;
	while (Date.now() < deadline) {
		const value = await probe();
		if (value !== undefined) return value;
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
	throw new Error(`timed out after ${withinMs} ms waiting for ${what}`);
}

let port: number;
let first: ReturnType<typeof npmRunDev>;
let stack: number[] = [];

beforeAll(async () => {
	port = await freePort();
	first = npmRunDev(["--port", String(port)]);
	await until("npm run dev to answer /health", 90_000, () =>
		fetch(`http://127.0.0.1:${port}/health`).then(
			(response) => (response.status === 200 ? true : undefined),
			() => (first.child.exitCode === null ? undefined : Promise.reject(new Error(first.output.stderr))),
		),
	);
	stack = descendants(first.child.pid as number);
}, 120_000);

afterAll(() => {
	for (const pid of [first.child.pid as number, ...stack]) {
		try {
			process.kill(pid, "SIGKILL");
		} catch {}
	}
	rmSync(dataDir, { recursive: true, force: true });
});

describe("npm run dev", () => {
	it("runs wrangler, workerd and the database as children of npm, holding the folder's lock", () => {
		expect(stack.length).toBeGreaterThanOrEqual(4);
		expect(existsSync(`${folder}.lock`)).toBe(true);
	});

	it("shows a webhook as one human line: time, provider, type, event id, outcome, status, ms", async () => {
		// npm run dev has created .dev.vars (or it was there): sign with what the server reads.
		const secret = firstSecret(readDotVars(join(root, ".dev.vars")).CLERK_WEBHOOK_SIGNING_SECRET ?? "");
		const body = JSON.stringify({
			type: "user.deleted",
			object: "event",
			timestamp: Date.now(),
			data: { id: "user_devstack", deleted: true, object: "user" },
		});
		const now = new Date();
		const response = await fetch(`http://127.0.0.1:${port}/api/webhooks/clerk`, {
			method: "POST",
			headers: {
				"svix-id": "msg_devstack1",
				"svix-timestamp": String(Math.floor(now.getTime() / 1000)),
				"svix-signature": new Webhook(secret as string).sign("msg_devstack1", now, body),
			},
			body,
		});
		expect(response.status).toBe(200);
		const line = await until("the webhook line", 10_000, () =>
			first.output.stdout.split("\n").find((l) => l.includes("msg_devstack1")),
		);
		expect(line).toMatch(/^\d\d:\d\d:\d\d {2}clerk +user\.deleted +msg_devstack1 +applied +200 +\d+ ms$/);
		expect(first.output.stdout).not.toContain('"message":"webhook"');
	});

	it("refuses a second npm run dev on the same folder, in one line naming the first, before opening it", async () => {
		const second = npmRunDev(["--port", String(await freePort())]);
		expect(await second.exited).toBe(1);
		const refusal = second.output.stderr.trim().split("\n");
		expect(refusal).toHaveLength(1);
		expect(refusal[0]).toMatch(
			new RegExp(
				`^npm run dev: refused: .*pglite is in use by another npm run dev \\(pid \\d+, serving http://127\\.0\\.0\\.1:${port},`,
			),
		);
		expect(second.output.stdout).not.toContain("database:");
		// The first one still serves.
		expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
	}, 30_000);

	it("stops every process on SIGTERM to npm, and frees the ports and the lock", async () => {
		process.kill(first.child.pid as number, "SIGTERM");
		await first.exited;
		await until("every child to exit", 15_000, () => (stack.some(isRunning) ? undefined : true));
		expect(stack.filter(isRunning)).toEqual([]);
		expect(existsSync(`${folder}.lock`)).toBe(false);
		await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
	}, 30_000);
});
