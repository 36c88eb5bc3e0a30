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

const codeShapes = {
	/** a provider's id (`du_1Q…`, `pi_3Q…`): letters, digits, `_` and `-` */
	id: /^[A-Za-z0-9_-]{1,255}$/,
	/** an ISO 4217 currency code, any case */
	currency: /^[A-Za-z]{3}$/,
	/** a provider's reason code (`fraudulent`, `product_not_received`) */
	reason: /^[a-z_]{1,40}$/,
};

/**
 * A payload value as a log field: the value when it has the shape of a `kind` of code, else null, so
 * that no free text a sender put in its place (an address, a name) reaches a log.
 */
export function logCode(kind: keyof typeof codeShapes, value: string | null | undefined): string | null {
	return value && codeShapes[kind].test(value) ? value : null;
}
