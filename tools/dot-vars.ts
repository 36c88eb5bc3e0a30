/**
 * Reads `.dev.vars`-style files (KEY=value lines, `#` comments, optional quotes) for the Node-side
 * tools: the dev server, the send CLI and the benchmark.
 */
import { existsSync, readFileSync } from "node:fs";

/** The variables a file defines; an absent file defines none. */
export function readDotVars(path: string | URL): Record<string, string> {
	if (!existsSync(path)) return {};
	const vars: Record<string, string> = {};
	for (const line of readFileSync(path, "utf8").split("\n")) {
		const match = line.match(/^([A-Z_][A-Z0-9_]*)=(.*)$/);
		if (match) vars[match[1] as string] = (match[2] as string).trim().replace(/^["']|["']$/g, "");
	}
	return vars;
}

/** The first secret of a setting that may hold several (rotation): the one to sign with. */
export function firstSecret(setting: string): string | undefined {
	return setting.split(/[\s,]+/).find(Boolean);
}
