/**
 * @module tools/process/die-with-parent
 * Preloaded (`node --import <this file> …`) into the children our tools start (wrangler, drizzle-kit
 * studio), so that they end when the tool that started them ends, even when it is killed with
 * SIGKILL and cannot stop them itself. A child that leads its own process group (wrangler, started
 * detached) ends the whole group: its Node child, workerd and esbuild too.
 */
import { stopWithParent } from "./parent.ts";

stopWithParent(() => {
	try {
		console.error(`the process that started ${process.argv[1] ?? "this one"} is gone: stopping`);
	} catch {
		// nobody reads our output any more
	}
	try {
		process.kill(-process.pid, "SIGTERM"); // our group, when we lead one
	} catch {
		process.kill(process.pid, "SIGTERM");
	}
});
