/**
 * tools/cli.ts in-process: parseCommandLine's values, positionals and pass-through `rest`, its
 * exits (process.exit is stubbed to throw), and errorLine. The CLIs themselves are spawned in
 * cli-commands.test.ts.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { errorLine, parseCommandLine } from "../../tools/cli.ts";
import { portOptions } from "../../tools/ports.ts";

const usage = "usage: npm run example [-- options]";

/** Runs `parse` with process.exit and the console captured: what it returned, or how it exited. */
function outcome<T>(parse: () => T) {
	const printed: string[] = [];
	vi.spyOn(console, "log").mockImplementation((text: string) => printed.push(`out: ${text}`));
	vi.spyOn(console, "error").mockImplementation((text: string) => printed.push(`err: ${text}`));
	vi.spyOn(process, "exit").mockImplementation((code) => {
		throw Object.assign(new Error("exit"), { code });
	});
	try {
		return { result: parse(), printed };
	} catch (error) {
		return { exit: (error as { code?: number }).code, printed };
	}
}

afterEach(() => {
	vi.restoreAllMocks();
});

describe("parseCommandLine", () => {
	it("returns the declared values and, when allowed, the positionals", () => {
		const { result } = outcome(() =>
			parseCommandLine({
				usage,
				allowPositionals: true,
				options: { count: { type: "string", default: "1" }, set: { type: "string", multiple: true } },
				args: ["clerk", "--set", "a=1", "user.created", "--set=b=2"],
			}),
		);
		expect(result).toEqual({
			values: { count: "1", set: ["a=1", "b=2"] },
			positionals: ["clerk", "user.created"],
			rest: [],
		});
	});

	it("passThrough keeps unknown flags and their values in order, and takes its own", () => {
		const { result } = outcome(() =>
			parseCommandLine({
				usage,
				passThrough: true,
				options: { ...portOptions, json: { type: "boolean" } },
				args: [
					"--inspector-port",
					"9230",
					"--port",
					"9000",
					"--log-level=debug",
					"--json",
					"-x",
					"--bridge-port=9005",
					"--var",
					"A:1",
					"--",
					"--port",
					"1",
				],
			}),
		);
		expect(result).toEqual({
			values: { port: "9000", "bridge-port": "9005", json: true },
			positionals: [],
			rest: ["--inspector-port", "9230", "--log-level=debug", "-x", "--var", "A:1", "--", "--port", "1"],
		});
	});

	it.each([
		[["--help"], 0, ["out: usage: npm run example [-- options]"]],
		[["-h"], 0, ["out: usage: npm run example [-- options]"]],
		[["--bogus", "--help"], 0, ["out: usage: npm run example [-- options]"]],
		[["--bogus"], 2, [`err: unknown option '--bogus'\n\n${usage}`]],
		[["-x"], 2, [`err: unknown option '-x'\n\n${usage}`]],
		[["stray"], 2, [`err: unexpected argument 'stray'\n\n${usage}`]],
		[["--port"], 2, [`err: option '--port <value>' argument missing\n\n${usage}`]],
		[
			["--port", "--bridge-port", "1"],
			2,
			[`err: option '--port' needs a value (write --port=-… for one starting with '-')\n\n${usage}`],
		],
		[["--", "--help"], 2, [`err: unexpected argument '--help'\n\n${usage}`]],
	])("%j exits %i with one line and the usage (or the help)", (args, exit, printed) => {
		expect(outcome(() => parseCommandLine({ usage, options: portOptions, args }))).toEqual({ exit, printed });
	});

	it("passThrough still refuses its own flag without a value", () => {
		expect(
			outcome(() => parseCommandLine({ usage, options: portOptions, passThrough: true, args: ["--port"] })),
		).toEqual({ exit: 2, printed: [`err: option '--port <value>' argument missing\n\n${usage}`] });
	});
});

describe("errorLine", () => {
	it.each([
		["a message's first line", new Error("bad thing\n    at somewhere"), "bad thing"],
		[
			"fetch's cause",
			new TypeError("fetch failed", {
				cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:2"), { code: "ECONNREFUSED" }),
			}),
			"fetch failed: connect ECONNREFUSED 127.0.0.1:2",
		],
		[
			"a refused connection to localhost (::1 and 127.0.0.1)",
			new AggregateError([
				new Error("connect ECONNREFUSED ::1:5432"),
				new Error("connect ECONNREFUSED 127.0.0.1:5432"),
			]),
			"connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432",
		],
		["a code without a message", Object.assign(new Error(""), { code: "ECONNRESET" }), "ECONNRESET"],
		["something thrown that is not an Error", "plain text", "plain text"],
		["a plain object with a code (PGlite's file system errors)", { name: "ErrnoError", errno: 44 }, "errno 44"],
		["a plain object with a message", { message: "no such file", code: "ENOENT" }, "no such file, ENOENT"],
	])("%s", (_, error, line) => {
		expect(errorLine(error)).toBe(line);
	});
});
