/**
 * Node-side helper for the smoke run and the benchmark: starts `npm run dev` on its own ports and
 * a fresh temporary embedded database (or DATABASE_URL's server when `useDatabaseUrl`), waits for
 * /health, queries through the bridge, and stops everything.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface DevServer {
	url: string;
	env: NodeJS.ProcessEnv;
	/** Milliseconds from spawning `npm run dev` to the first /health 200. */
	readyAfterMs: number;
	/** One query through the bridge, raw text rows. */
	sql(query: string, params?: string[]): Promise<(string | null)[][]>;
	/** `npm run <args>` with the server's environment; resolves to the exit code. */
	run(args: string[]): Promise<number>;
	stop(): Promise<void>;
}

export async function startDevServer(options: {
	port: string;
	bridgePort: string;
	useDatabaseUrl?: boolean;
	quiet?: boolean;
}): Promise<DevServer> {
	const dataDir = mkdtempSync(join(tmpdir(), "shop-webhooks-"));
	const env = {
		...process.env,
		PORT: options.port,
		BRIDGE_PORT: options.bridgePort,
		LOCAL_DB_DIR: dataDir,
		DATABASE_URL: options.useDatabaseUrl ? (process.env.DATABASE_URL ?? "") : "",
	};
	const started = Date.now();
	const dev: ChildProcess = spawn("npm", ["run", "dev"], {
		env,
		stdio: ["ignore", options.quiet ? "ignore" : "inherit", "inherit"],
		detached: true,
	});
	const exited = new Promise((resolve) => dev.on("exit", resolve));
	const stop = async () => {
		if (dev.pid && dev.exitCode === null) process.kill(-dev.pid, "SIGTERM");
		await exited;
		rmSync(dataDir, { recursive: true, force: true });
	};
	const url = `http://127.0.0.1:${options.port}`;
	while (Date.now() - started < 60_000) {
		const healthy = await fetch(`${url}/health`).then(
			(response) => response.status === 200,
			() => false,
		);
		if (healthy) {
			return {
				url,
				env,
				readyAfterMs: Date.now() - started,
				async sql(query, params = []) {
					const response = await fetch(`http://127.0.0.1:${options.bridgePort}/sql`, {
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
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
	await stop();
	throw new Error("npm run dev did not answer /health 200 within 60 s");
}
