/**
 * @module tools/db/data-lock
 * One `npm run dev` per embedded database folder. PGlite is a single-process database: two
 * processes opening the same folder lose acknowledged writes or crash. The owner writes
 * `<folder>.lock` (JSON: pid, process start time, URLs) atomically before it opens anything; a
 * second process reads it and refuses, naming the owner. A lock whose process is gone (or whose pid
 * now belongs to another process: the start time differs) is stale and taken over.
 */
import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { isRunning } from "../process/parent.ts";

export interface LockOwner {
	pid: number;
	/** The owner's start time as the OS counts it (Linux: /proc/<pid>/stat field 22), if known. */
	startTime?: string | undefined;
	/** ISO time at which the lock was taken. */
	since: string;
	/** What the owner serves, for the refusal message (e.g. http://127.0.0.1:8787). */
	url?: string | undefined;
}

/** Another live process holds the folder. `message` is one line that names it. */
export class DataFolderInUse extends Error {
	readonly owner: LockOwner;
	constructor(folder: string, owner: LockOwner) {
		const where = owner.url ? `, serving ${owner.url}` : "";
		super(
			`${folder} is in use by another npm run dev (pid ${owner.pid}${where}, since ${owner.since}): ` +
				"stop that one first, or set LOCAL_DB_DIR to use another folder",
		);
		this.owner = owner;
	}
}

/** Start time of a process from /proc (Linux); undefined where /proc is absent or the pid is gone. */
export function processStartTime(pid: number): string | undefined {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
		// Fields after the command name (which may contain spaces) start at field 3: starttime is field 22.
		return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
	} catch {
		return undefined;
	}
}

/** True when `owner` is still the process that took the lock. */
export function isAlive(owner: LockOwner): boolean {
	if (!isRunning(owner.pid)) return false;
	const startTime = processStartTime(owner.pid);
	return owner.startTime === undefined || startTime === undefined || startTime === owner.startTime;
}

function readOwner(path: string): LockOwner | undefined {
	try {
		const owner = JSON.parse(readFileSync(path, "utf8")) as LockOwner;
		return Number.isInteger(owner.pid) ? owner : { pid: -1, since: "?" };
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
		return { pid: -1, since: "?" }; // unreadable or half-written by a crash: stale
	}
}

function errorCode(error: unknown): string | undefined {
	return (error as NodeJS.ErrnoException).code;
}

/**
 * Takes the lock of `folder` for this process, or throws DataFolderInUse. Returns the function
 * that releases it (it removes the file only while it is still ours). Safe against two processes
 * starting at once: the file is created with O_EXCL, and a stale one is moved aside atomically and
 * checked before it is deleted, so a fresh lock taken meanwhile by another process is put back.
 */
export function lockDataFolder(folder: string, details: { url?: string } = {}): () => void {
	const path = `${resolve(folder)}.lock`;
	const mine: LockOwner = {
		pid: process.pid,
		startTime: processStartTime(process.pid),
		since: new Date().toISOString(),
		url: details.url,
	};
	mkdirSync(dirname(path), { recursive: true }); // a fresh clone has no .data/ yet
	for (let attempt = 0; attempt < 5; attempt++) {
		try {
			writeFileSync(path, `${JSON.stringify(mine)}\n`, { flag: "wx" });
			return () => {
				if (readOwner(path)?.pid === process.pid) unlinkSync(path);
			};
		} catch (error) {
			if (errorCode(error) !== "EEXIST") throw error;
		}
		const owner = readOwner(path);
		if (!owner) continue; // released meanwhile
		if (isAlive(owner)) throw new DataFolderInUse(folder, owner);
		const aside = `${path}.stale-${process.pid}`;
		try {
			renameSync(path, aside);
		} catch (error) {
			if (errorCode(error) === "ENOENT") continue;
			throw error;
		}
		const moved = readOwner(aside);
		if (moved && isAlive(moved)) {
			// Another process took the lock between our read and our move: give it back.
			try {
				linkSync(aside, path);
			} catch {
				// a third process created one meanwhile: it holds the folder now
			}
			unlinkSync(aside);
			throw new DataFolderInUse(folder, moved);
		}
		unlinkSync(aside);
	}
	throw new Error(`could not take ${path}: it keeps changing; is another npm run dev starting?`);
}
