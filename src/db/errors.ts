/**
 * @module db/errors
 * Which database failures are transient (the sender's retry can succeed) and which are
 * deterministic (the same event fails the same way every time). The Neon HTTP driver reports a
 * Postgres error as a NeonDbError carrying its SQLSTATE (`code`); a connection, network or HTTP
 * failure carries none. Source: PostgreSQL "Appendix A. PostgreSQL Error Codes".
 */

/** SQLSTATE classes that say nothing about the event: connection (08), rollback (40: serialization,
 * deadlock), resources (53), operator intervention (57: shutdown, terminated), system (58: I/O). */
const transientClasses = new Set(["08", "40", "53", "57", "58"]);
/** Single conditions that pass: lock_not_available (a lock or statement timeout). */
const transientCodes = new Set(["55P03"]);

/** Names of the SQLSTATEs a webhook's content can cause, for reasons in the ledger and the logs. */
const conditionNames: Record<string, string> = {
	"22001": "string_data_right_truncation",
	"22003": "numeric_value_out_of_range",
	"22007": "invalid_datetime_format",
	"22008": "datetime_field_overflow",
	"22021": "character_not_in_repertoire",
	"22P02": "invalid_text_representation",
	"22P05": "untranslatable_character",
	"23502": "not_null_violation",
	"23505": "unique_violation",
	"23514": "check_violation",
	"54000": "program_limit_exceeded",
	"54001": "statement_too_complex",
};

/** The SQLSTATE of a failed query (drizzle wraps the driver's error as `cause`), if Postgres sent one. */
export function sqlState(error: unknown): string | undefined {
	for (let e: unknown = error; e instanceof Error; e = e.cause) {
		const code = (e as { code?: unknown }).code;
		if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
	}
	return undefined;
}

/** True when the driver reached no answer from Postgres (network, HTTP, the bridge, Neon's proxy). */
function isConnectionFailure(error: unknown): boolean {
	for (let e: unknown = error; e instanceof Error; e = e.cause) {
		if (e.name === "NeonDbError") return true;
	}
	return false;
}

/**
 * True for a failure that a later attempt can outlive: a database error in a transient class, or a
 * driver error without a SQLSTATE (unreachable, timed out, HTTP 5xx). Everything else — a SQLSTATE
 * about the data, or an exception thrown by our own code — is deterministic.
 */
export function isTransient(error: unknown): boolean {
	const code = sqlState(error);
	if (code) return transientClasses.has(code.slice(0, 2)) || transientCodes.has(code);
	return isConnectionFailure(error);
}

/** A short, value-free reason for a deterministic failure, e.g. `database refused the event: 22P05 untranslatable_character`. */
export function refusalReason(error: unknown): string {
	const code = sqlState(error);
	if (code) return `database refused the event: ${code}${conditionNames[code] ? ` ${conditionNames[code]}` : ""}`;
	const name = error instanceof Error ? error.name : typeof error;
	return `internal error while applying the event: ${name}`;
}
