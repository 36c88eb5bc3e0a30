/**
 * A child started with tools/process/die-with-parent.ts preloaded ends when the process that started
 * it is killed outright (SIGKILL: no chance to stop it), with the process group it leads.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { isRunning } from "../../tools/process/parent.ts";

const guard = fileURLToPath(new URL("../../tools/process/die-with-parent.ts", import.meta.url));

async function gone(pids: number[], withinMs: number): Promise<number[]> {
	const deadline = Date.now() + withinMs;
	while (pids.some(isRunning) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
	return pids.filter(isRunning);
}

it("takes a guarded child and the group it leads down when its parent is SIGKILLed", async () => {
	// parent → child (guarded, detached: its own group) → grandchild (in the child's group, unguarded)
	const grandchild = `require("node:child_process").spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });`;
	const child = `const g = ${grandchild.replace(/;$/, "")}; console.log(process.pid + " " + g.pid); setInterval(() => {}, 1000);`;
	const parent = `
		const c = require("node:child_process").spawn(process.execPath, ["--import", ${JSON.stringify(guard)}, "-e", ${JSON.stringify(child)}], { detached: true, stdio: ["ignore", "inherit", "inherit"] });
		setInterval(() => {}, 1000);`;
	const top = spawn(process.execPath, ["-e", parent], { stdio: ["ignore", "pipe", "pipe"] });
	let stderr = "";
	top.stderr.on("data", (chunk) => {
		stderr += chunk;
	});
	const pids = await new Promise<number[]>((resolve) =>
		top.stdout.once("data", (chunk: Buffer) => resolve(String(chunk).trim().split(" ").map(Number))),
	);
	try {
		await new Promise((r) => setTimeout(r, 700)); // alive as long as the parent is
		expect(pids.every(isRunning)).toBe(true);
		top.kill("SIGKILL");
		expect(await gone(pids, 5000)).toEqual([]);
		expect(stderr).toMatch(/is gone: stopping/);
	} finally {
		for (const pid of pids.filter(isRunning)) process.kill(pid, "SIGKILL");
	}
});
