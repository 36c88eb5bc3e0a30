/**
 * Command lines of the Node-side tools (`npm run dev|send|bench|smoke|db:*`), parsed with node's
 * `util.parseArgs`: `--help` prints the usage and exits 0; an unknown flag, a missing value or a
 * stray argument prints one line and the usage and exits 2, never a stack trace.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";

type Options = NonNullable<ParseArgsConfig["options"]>;

const helpOption = { help: { type: "boolean", short: "h" } } as const;

export interface CommandLine<O extends Options> {
	usage: string;
	options: O;
	/** Positional arguments allowed (default false). */
	allowPositionals?: boolean;
	/**
	 * Unknown flags are kept in `rest`, with their values, instead of refused (for a command that
	 * passes them on). An unknown flag's value must be attached (`--flag=value`) when positionals
	 * are also allowed: the parser cannot tell a flag's value from a positional.
	 */
	passThrough?: boolean;
	/** The arguments to parse (default: the process's). */
	args?: string[];
}

/** Prints `message` and the usage to stderr and exits 2. */
export function usageError(usage: string, message: string): never {
	console.error(`${message}\n\n${usage}`);
	process.exit(2);
}

/** One line saying what went wrong, for errors that are not bugs (a refused connection, a bad value). */
export function errorLine(error: unknown, depth = 0): string {
	if (!(error instanceof Error)) {
		// Some libraries throw plain objects (PGlite's file system errors: { errno, code }).
		const { message, code, errno } = (error ?? {}) as { message?: unknown; code?: unknown; errno?: unknown };
		const described = [message, code, errno === undefined ? undefined : `errno ${errno}`].filter(
			(part) => typeof part === "string" || typeof part === "number",
		);
		return (described.length > 0 ? described.join(", ") : String(error)).split("\n")[0] as string;
	}
	let text = error.message;
	// A refused connection to `localhost` tries ::1 and 127.0.0.1 and reports both, without a message.
	if (!text && error instanceof AggregateError)
		text = error.errors.map((inner) => errorLine(inner, depth + 1)).join("; ");
	text ||= (error as { code?: string }).code ?? error.name;
	// fetch says only "fetch failed"; the reason is its cause.
	if (error.cause !== undefined && depth < 3) text = `${text}: ${errorLine(error.cause, depth + 1)}`;
	return text.split("\n")[0] as string;
}

/** parseArgs' own messages, cut to their first sentence (the rest suggests `--`, which misleads here). */
function parseArgsMessage(error: Error): string {
	const first = (error.message.split("\n")[0] as string).replace(/\. To specify a positional argument.*$/, "");
	const ambiguous = first.match(/^Option '(.+)' argument is ambiguous/);
	if (ambiguous) return `option '${ambiguous[1]}' needs a value (write ${ambiguous[1]}=-… for one starting with '-')`;
	return first.charAt(0).toLowerCase() + first.slice(1);
}

/** `--help` or `-h` before any `--`: help wins over everything else on the line. */
function asksForHelp(args: string[]): boolean {
	const end = args.indexOf("--");
	return (end === -1 ? args : args.slice(0, end)).some((arg) => arg === "--help" || arg === "-h");
}

/**
 * Parses a tool's command line. Returns `values` and `positionals` as `parseArgs` does, plus `rest`:
 * the arguments it did not understand, in order (only with `passThrough`). Exits on `--help`/`-h`
 * (0) and on a malformed command line (2).
 */
export function parseCommandLine<O extends Options>(spec: CommandLine<O>) {
	const options = { ...spec.options, ...helpOption } as O & typeof helpOption;
	const args = spec.args ?? process.argv.slice(2);
	if (asksForHelp(args)) {
		console.log(spec.usage);
		process.exit(0);
	}
	const config = {
		args,
		options,
		allowPositionals: true,
		// Typed as strict (values then have the declared types); without it, unknown flags become tokens.
		strict: !spec.passThrough as true,
		tokens: true,
	} as const;
	let parsed: ReturnType<typeof parseArgs<typeof config>>;
	try {
		parsed = parseArgs(config);
	} catch (error) {
		usageError(spec.usage, parseArgsMessage(error as Error));
	}
	const known = (name: string) => Object.hasOwn(options, name);
	const rest: string[] = [];
	if (spec.passThrough) {
		for (const token of parsed.tokens) {
			if (token.kind === "option" && !known(token.name)) {
				rest.push(token.inlineValue ? `${token.rawName}=${token.value}` : token.rawName);
			} else if (token.kind === "option" && options[token.name]?.type === "string" && token.value === undefined) {
				// Strict mode refuses this itself; non-strict would make the value `true`.
				usageError(spec.usage, `option '${token.rawName} <value>' argument missing`);
			} else if (token.kind === "positional" && !spec.allowPositionals) {
				rest.push(token.value);
			} else if (token.kind === "option-terminator" && !spec.allowPositionals) {
				rest.push("--");
			}
		}
		const values = parsed.values as Record<string, unknown>;
		for (const name of Object.keys(values)) if (!known(name)) delete values[name];
	} else if (!spec.allowPositionals && parsed.positionals.length > 0) {
		usageError(spec.usage, `unexpected argument '${parsed.positionals[0]}'`);
	}
	return { values: parsed.values, positionals: spec.allowPositionals ? parsed.positionals : [], rest };
}
