/**
 * @module log
 * Structured logs: one JSON object per line, readable in `wrangler dev` and `wrangler tail`.
 * Callers pass only identifiers and outcomes: never secrets, email addresses or names.
 */

export type LogLevel = "info" | "warn" | "error";

export function log(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
	const line = JSON.stringify({ level, message, ...fields });
	if (level === "error") console.error(line);
	else if (level === "warn") console.warn(line);
	else console.log(line);
}

/**
 * A message without the values it quotes: Postgres and V8 put them between quotes
 * (`invalid input syntax for type integer: "abc"`, `Unexpected token 'x'`), and so may a driver.
 */
export function withoutQuotedValues(message: string): string {
	return message
		.replace(/\bparams:[\s\S]*$/, "params: …") // drizzle's "Failed query: … params: <values>"
		.replace(/"[^"]*"|'[^']*'|`[^`]*`/g, "…")
		.slice(0, 300);
}

/** What an unexpected error may show in a log: its class, SQLSTATE and message, never a value. */
export function describeError(error: unknown): Record<string, unknown> {
	if (!(error instanceof Error)) return { error: typeof error };
	const cause = error.cause instanceof Error ? error.cause : undefined;
	const code = (cause as { code?: unknown } | undefined)?.code ?? (error as { code?: unknown }).code;
	return {
		error: withoutQuotedValues((cause ?? error).message),
		error_class: (cause ?? error).name,
		...(typeof code === "string" ? { error_code: code } : {}),
	};
}
