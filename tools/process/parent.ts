/**
 * @module tools/process/parent
 * Ties a tool's life to the process that started it. Node gets no signal when its parent dies (npm
 * killed by SIGKILL or SIGHUP, a closed terminal, a SIGKILLed `tools/dev.ts`), so this polls
 * `process.ppid`: when it changes, the parent is gone.
 */

/** True while a process with this pid exists (EPERM: it exists, but belongs to another user). */
export function isRunning(pid: number): boolean {
	if (!(pid > 0)) return false; // kill(0 or -n) would signal process groups
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === "EPERM";
	}
}

/** Calls `stop` once when this process's parent is gone; polls every `everyMs` ms without keeping the process alive. */
export function stopWithParent(stop: () => void, everyMs = 500): void {
	const parent = process.ppid;
	const timer = setInterval(() => {
		if (process.ppid === parent) return;
		clearInterval(timer);
		stop();
	}, everyMs);
	timer.unref();
}
