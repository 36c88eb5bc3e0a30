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

/** What an unexpected error may show in a log: its class, SQLSTATE and message, never a value. */
export function describeError(error: unknown): Record<string, unknown> {
	if (!(error instanceof Error)) return { error: String(error).slice(0, 300) };
	const cause = error.cause instanceof Error ? error.cause : undefined;
	const code = (cause as { code?: unknown } | undefined)?.code ?? (error as { code?: unknown }).code;
	return {
		error: (cause ?? error).message.slice(0, 300),
		...(typeof code === "string" ? { error_code: code } : {}),
	};
}
