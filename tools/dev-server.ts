/**
 * Node-side helper for the smoke run and the benchmark: starts `npm run dev` on the given ports
 * (passed as PORT, BRIDGE_PORT and PGLITE_PORT) and a fresh temporary embedded database (or
 * DATABASE_URL's server when `useDatabaseUrl`), waits until it is ready, queries through the
 * bridge, and stops everything (also on Ctrl-C).
 * Trust boundary: a /health answer counts only if the ports were free before spawning and the
 * spawned server itself announced it listens on its port, so another process on that port (say, a
 * developer's own `npm run dev`) is never mistaken for it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { errorLine } from "./cli.ts";
import { type Ports, takenPorts } from "./ports.ts";

export interface DevServer {
	url: string;
	ports: Ports;
	env: NodeJS.ProcessEnv;
	/** Milliseconds from spawning `npm run dev` to the first /health 200. */
	readyAfterMs: number;
	/** One query through the bridge, raw text rows. */
	sql(query: string, params?: string[]): Promise<(string | null)[][]>;
	/** `npm run <args>` with the server's environment; resolves to the exit code. */
	run(args: string[]): Promise<number>;
	stop(): Promise<void>;
}

/** Why the dev server could not start: one line for the user (npm run dev's own output is above it). */
export class DevServerError extends Error {}

const timeoutMs = 60_000;

/**
 * Forwards the child's output (standard output only unless `quiet`), keeps its last lines, and
 * notices wrangler's "Ready on http://127.0.0.1:<port>" line.
 */
function watchOutput(dev: ChildProcess, port: number, quiet: boolean) {
	const ready = new RegExp(`Ready on https?://(?:127\\.0\\.0\\.1|localhost):${port}(?!\\d)`);
	let announced = false;
	let pending = "";
	const last: string[] = [];
	dev.stdout?.on("data", (chunk: Buffer) => {
		if (!quiet) process.stdout.write(chunk);
		const lines = (pending + chunk.toString("utf8")).split("\n");
		pending = lines.pop() ?? "";
		last.push(...lines);
		last.splice(0, last.length - 20);
		if (lines.some((line) => ready.test(stripVTControlCharacters(line)))) announced = true;
	});
	dev.stderr?.on("data", (chunk: Buffer) => process.stderr.write(chunk));
	return {
		announced: () => announced,
		/** When quiet, shows the hidden lines: they say why npm run dev failed. */
		showHidden: () => quiet && last.length > 0 && console.error([...last, pending].join("\n")),
	};
}

/** Starts `npm run dev` on `ports` (see tools/ports.ts); throws DevServerError when it cannot. */
export async function startDevServer(options: {
	ports: Ports;
	useDatabaseUrl?: boolean;
	/** Hide npm run dev's standard output (its errors still show). */
	quiet?: boolean;
}): Promise<DevServer> {
	const { ports } = options;
	const taken = await takenPorts(ports);
	if (taken) {
		throw new DevServerError(
			`cannot start npm run dev on 127.0.0.1: port ${taken}; stop what holds it (another npm run dev?) or pass other ports`,
		);
	}
	const dataDir = mkdtempSync(join(tmpdir(), "shop-webhooks-"));
	const env = {
		...process.env,
		PORT: String(ports.port),
		BRIDGE_PORT: String(ports.bridgePort),
		PGLITE_PORT: String(ports.pglitePort),
		LOCAL_DB_DIR: dataDir,
		DATABASE_URL: options.useDatabaseUrl ? (process.env.DATABASE_URL ?? "") : "",
	};
	const started = Date.now();
	// Its own process group: stop() signals npm and tools/dev.ts together (dev.ts then stops wrangler).
	const dev = spawn("npm", ["run", "dev"], { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
	const output = watchOutput(dev, ports.port, options.quiet ?? false);
	const exited = new Promise((resolve) => dev.once("exit", resolve));
	const interrupted = () => stop().then(() => process.exit(130));
	process.once("SIGINT", interrupted);
	process.once("SIGTERM", interrupted);
	async function stop() {
		process.off("SIGINT", interrupted);
		process.off("SIGTERM", interrupted);
		try {
			// The whole group: npm may be gone while wrangler and workerd still run.
			if (dev.pid) process.kill(-dev.pid, "SIGTERM");
		} catch {
			// already gone
		}
		await exited;
		rmSync(dataDir, { recursive: true, force: true });
	}

	const url = `http://127.0.0.1:${ports.port}`;
	let answeredUnannounced = false;
	while (Date.now() - started < timeoutMs) {
		if (dev.exitCode !== null || dev.signalCode !== null) {
			output.showHidden();
			await stop();
			throw new DevServerError(`npm run dev exited (${dev.exitCode ?? dev.signalCode}) before answering /health`);
		}
		const healthy = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) }).then(
			(response) => response.status === 200,
			() => false,
		);
		if (healthy && output.announced() && dev.exitCode === null) {
			return {
				url,
				ports,
				env,
				readyAfterMs: Date.now() - started,
				async sql(query, params = []) {
					const response = await fetch(`http://127.0.0.1:${ports.bridgePort}/sql`, {
						method: "POST",
						body: JSON.stringify({ query, params }),
					});
					if (!response.ok) throw new Error(`bridge answered ${response.status}: ${await response.text()}`);
					return ((await response.json()) as { rows: (string | null)[][] }).rows;
				},
				run(args) {
					const child = spawn("npm", ["run", "--silent", ...args], { env, stdio: "inherit" });
					return new Promise((resolve) => child.on("exit", (code) => resolve(code ?? 1)));
				},
				stop,
			};
		}
		answeredUnannounced ||= healthy;
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
	output.showHidden();
	await stop();
	throw new DevServerError(
		answeredUnannounced
			? `something answers ${url}/health, but the npm run dev started here never said it listens there: is another server on port ${ports.port}?`
			: `npm run dev did not answer ${url}/health within ${timeoutMs / 1000} s`,
	);
}

/**
 * `startDevServer` for a command: when the server cannot start (DevServerError), prints
 * `<prefix>: <reason>` in one line and exits 1.
 */
export async function startDevServerOrExit(prefix: string, options: Parameters<typeof startDevServer>[0]) {
	try {
		return await startDevServer(options);
	} catch (error) {
		if (!(error instanceof DevServerError)) throw error;
		console.error(`${prefix}: ${errorLine(error)}`);
		process.exit(1);
	}
}
