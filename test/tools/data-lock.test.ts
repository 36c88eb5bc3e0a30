/** The embedded database folder's lock: one owner, named in the refusal; stale locks taken over. */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DataFolderInUse, lockDataFolder, processStartTime } from "../../tools/db/data-lock.ts";

let dir: string;
let folder: string;
const children: ChildProcess[] = [];

beforeEach(() => {
	dir = mkdtempSync(join(tmpdir(), "data-lock-"));
	folder = join(dir, "pglite");
});
afterEach(() => {
	for (const child of children.splice(0)) child.kill("SIGKILL");
	rmSync(dir, { recursive: true, force: true });
});

/** A live process that is not us, with the lock content such a process would have written. */
function otherOwner(url = "http://127.0.0.1:8787") {
	const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
	children.push(child);
	const pid = child.pid as number;
	return { pid, startTime: processStartTime(pid), since: "2026-11-29T20:00:00.000Z", url };
}

/** A pid that no process has: one that just exited. */
async function deadPid(): Promise<number> {
	const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
	await new Promise((resolve) => child.on("exit", resolve));
	return child.pid as number;
}

describe("lockDataFolder", () => {
	it("writes <folder>.lock with our pid, refuses a second taker naming the owner, and releases", () => {
		const release = lockDataFolder(folder, { url: "http://127.0.0.1:8787" });
		const lock = JSON.parse(readFileSync(`${folder}.lock`, "utf8"));
		expect(lock).toMatchObject({ pid: process.pid, url: "http://127.0.0.1:8787" });
		expect(() => lockDataFolder(folder)).toThrow(DataFolderInUse);
		release();
		expect(existsSync(`${folder}.lock`)).toBe(false);
		lockDataFolder(folder)();
	});

	it("creates the folder's parent when it does not exist yet (a fresh clone has no .data/)", () => {
		const nested = join(dir, "not", "yet", "pglite");
		lockDataFolder(nested)();
		expect(existsSync(join(dir, "not", "yet"))).toBe(true);
	});

	it("refuses while another live process holds it, with one line naming its pid and URL", () => {
		const owner = otherOwner();
		writeFileSync(`${folder}.lock`, JSON.stringify(owner));
		let message = "";
		try {
			lockDataFolder(folder);
		} catch (error) {
			message = (error as Error).message;
		}
		expect(message).toContain(`pid ${owner.pid}, serving http://127.0.0.1:8787`);
		expect(message).toMatch(/stop that one first, or set LOCAL_DB_DIR/);
		expect(message).not.toContain("\n");
		expect(JSON.parse(readFileSync(`${folder}.lock`, "utf8")).pid).toBe(owner.pid);
	});

	it("takes over a lock whose process is gone", async () => {
		writeFileSync(`${folder}.lock`, JSON.stringify({ pid: await deadPid(), since: "2026-11-29T20:00:00.000Z" }));
		const release = lockDataFolder(folder);
		expect(JSON.parse(readFileSync(`${folder}.lock`, "utf8")).pid).toBe(process.pid);
		release();
	});

	it.runIf(processStartTime(process.pid) !== undefined)(
		"takes over a lock whose pid now belongs to another process (start time differs)",
		() => {
			const owner = { ...otherOwner(), startTime: "1" };
			writeFileSync(`${folder}.lock`, JSON.stringify(owner));
			lockDataFolder(folder)();
		},
	);

	it("takes over an empty or unreadable lock (a crash while writing it)", () => {
		writeFileSync(`${folder}.lock`, "");
		lockDataFolder(folder)();
		writeFileSync(`${folder}.lock`, "{not json");
		lockDataFolder(folder)();
	});

	it("keeps its release from deleting a lock that another process took over", () => {
		const release = lockDataFolder(folder);
		const owner = otherOwner();
		writeFileSync(`${folder}.lock`, JSON.stringify(owner));
		release();
		expect(JSON.parse(readFileSync(`${folder}.lock`, "utf8")).pid).toBe(owner.pid);
	});
});
