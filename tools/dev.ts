/**
 * `npm run dev`: starts the local database (embedded PGlite in .data/, or the server named by
 * DATABASE_URL=postgres://…) behind the Neon-protocol bridge, then `wrangler dev` on
 * 127.0.0.1:8787 with DATABASE_URL pointing the Worker at the bridge. Ctrl-C stops both.
 * On first run it creates .dev.vars from .dev.vars.example (working test secrets).
 */
import { spawn } from "node:child_process";
import { appendFileSync, copyFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { startLocalDatabase } from "./db/local-database.ts";
import { readDotVars } from "./dot-vars.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const port = process.env.PORT ?? "8787";
const bridgePort = Number(process.env.BRIDGE_PORT ?? 5488);
const dataDir = process.env.LOCAL_DB_DIR ?? `${root}.data/pglite`;

/** Creates .dev.vars, or adds the secrets a newer .dev.vars.example introduced. */
function ensureDevVars() {
	const [example, devVars] = [`${root}.dev.vars.example`, `${root}.dev.vars`];
	if (!existsSync(devVars)) {
		copyFileSync(example, devVars);
		console.log("created .dev.vars from .dev.vars.example (local test secrets)");
		return;
	}
	const present = readDotVars(devVars);
	for (const [name, value] of Object.entries(readDotVars(example))) {
		if (name in present) continue;
		appendFileSync(devVars, `\n${name}=${value}\n`);
		console.log(`added ${name} to .dev.vars from .dev.vars.example`);
	}
}
ensureDevVars();

const local = await startLocalDatabase({ port: bridgePort, databaseUrl: process.env.DATABASE_URL, dataDir });
console.log(`database: ${local.description}, migrated; Neon-protocol bridge on 127.0.0.1:${bridgePort}`);

const wrangler = `${root}node_modules/wrangler/bin/wrangler.js`;
const child = spawn(
	process.execPath,
	// --env-file makes wrangler read .dev.vars AND process.env, where DATABASE_URL names the bridge.
	[wrangler, "dev", "--ip", "127.0.0.1", "--port", port, "--env-file", ".dev.vars", ...process.argv.slice(2)],
	{
		cwd: root,
		stdio: "inherit",
		env: {
			...process.env,
			DATABASE_URL: local.workerUrl,
			WRANGLER_SEND_METRICS: "false",
			CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? "false",
		},
	},
);

let stopping = false;
async function stop(code: number) {
	if (stopping) return;
	stopping = true;
	if (child.exitCode === null) {
		child.kill("SIGTERM");
		await new Promise((resolve) => child.once("exit", resolve));
	}
	await local.stop();
	process.exit(code);
}
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));
child.on("exit", (code) => stop(code ?? 0));
