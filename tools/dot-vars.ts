/**
 * Reads `.dev.vars`-style files (KEY=value lines, `#` comments, optional quotes) for the Node-side
 * tools: the dev server, the send CLI and the benchmark; and says what a `.dev.vars` lacks of a
 * newer `.dev.vars.example`.
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

/**
 * The lines to append to a `.dev.vars` that defines `present` so that it defines every variable of
 * `example` (a `.dev.vars.example` text) too: each missing `NAME=value` with the comment lines just
 * above it in the example. Empty when nothing is missing. A variable commented out in the example
 * (`# EMAIL_PROVIDER=…`) is not one.
 */
export function missingDotVars(example: string, present: Record<string, string>): { names: string[]; text: string } {
	const names: string[] = [];
	const blocks: string[] = [];
	let comments: string[] = [];
	for (const line of example.split("\n")) {
		const match = line.match(/^([A-Z_][A-Z0-9_]*)=/);
		if (match && !Object.hasOwn(present, match[1] as string)) {
			names.push(match[1] as string);
			blocks.push([...comments, line].join("\n"));
		}
		comments = line.startsWith("#") ? [...comments, line] : [];
	}
	return { names, text: blocks.map((block) => `\n${block}\n`).join("") };
}

/**
 * The names wrangler.toml's `[secrets] required` lists (`wrangler dev` loads only those from
 * .dev.vars), read from its text: the `required = [...]` line of the `[secrets]` table.
 */
export function requiredSecrets(wranglerToml: string): string[] {
	const table = /^\[secrets\]\s*$([\s\S]*?)(?=^\[)/m.exec(`${wranglerToml}\n[`)?.[1] ?? "";
	const list = /^required\s*=\s*\[([^\]]*)\]/m.exec(table)?.[1] ?? "";
	return [...list.matchAll(/"([^"]+)"/g)].map((match) => match[1] as string);
}
