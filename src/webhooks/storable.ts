/**
 * @module webhooks/storable
 * What Postgres can hold. A verified body is valid JSON text, but `jsonb` refuses some of it: a
 * `\u0000` escape (22P05: text cannot hold NUL), an unpaired surrogate escape such as `\ud83d`
 * (22P02), numbers beyond `numeric` (above 1e131071 or below 1e-16383, 22003) and nesting deep
 * enough to exhaust the server's stack (54001). `text` columns refuse NUL too. These helpers decide,
 * without a round trip, when the ledger must keep a copy that jsonb can hold beside the raw body.
 * Source: PostgreSQL docs, "JSON Types" (8.14) and "Arbitrary Precision Numbers" (8.1.2).
 */

/** Deeper than this, the ledger's copy replaces the subtree with a marker (Postgres' stack is ~2 MB). */
export const MAX_STORED_DEPTH = 200;
const TOO_DEEP = `[nested deeper than ${MAX_STORED_DEPTH} levels: see raw_body]`;

/** True when Postgres can store `value` in a text or jsonb string: no NUL, no unpaired surrogate. */
export function isStorableText(value: string): boolean {
	return !value.includes("\u0000") && value.isWellFormed();
}

/** `value` as Postgres can store it: NUL removed, each unpaired surrogate replaced by U+FFFD. */
export function toStorableText(value: string): string {
	return isStorableText(value) ? value : value.replaceAll("\u0000", "").toWellFormed();
}

// A number with a 4-digit exponent or a 1000-digit run may be beyond `numeric`; a false alarm (the
// same characters inside a string) only makes the ledger keep the raw body as well.
const extremeNumber = /[eE][+-]?0*\d{4}|\d{1000}/;

// JSON.parse keeps the last of repeated keys, but jsonb parses every value: an escape jsonb refuses, or
// nesting too deep, under a key that is repeated later reaches Postgres although the parsed value is
// clean. So the text is checked too; a false alarm (the characters inside a string) only keeps the raw body.
const unstorableEscape =
	/\\u0000|\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}/;

/** True when the JSON `text` nests containers deeper than MAX_STORED_DEPTH (brackets inside strings aside). */
function nestsTooDeep(text: string): boolean {
	let depth = 0;
	let inString = false;
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		if (inString) {
			// a backslash escapes the next character
			if (c === 0x5c) i++;
			else if (c === 0x22) inString = false;
		} else if (c === 0x22) inString = true;
		else if (c === 0x5b || c === 0x7b) {
			if (++depth > MAX_STORED_DEPTH) return true;
		} else if (c === 0x5d || c === 0x7d) depth--;
	}
	return false;
}

/** What the text can hold that its parsed value does not show: a number beyond `numeric`, a hidden escape or depth. */
function textNeedsCopy(text: string): boolean {
	return extremeNumber.test(text) || unstorableEscape.test(text) || nestsTooDeep(text);
}

function needsCopy(value: unknown, depth: number): boolean {
	if (typeof value === "string") return !isStorableText(value);
	if (value === null || typeof value !== "object") return false;
	if (depth >= MAX_STORED_DEPTH) return true;
	if (Array.isArray(value)) return value.some((item) => needsCopy(item, depth + 1));
	return Object.entries(value).some(([key, item]) => !isStorableText(key) || needsCopy(item, depth + 1));
}

function storableCopy(value: unknown, depth: number): unknown {
	if (typeof value === "string") return toStorableText(value);
	if (value === null || typeof value !== "object") return value;
	if (depth >= MAX_STORED_DEPTH) return TOO_DEEP;
	if (Array.isArray(value)) return value.map((item) => storableCopy(item, depth + 1));
	return Object.fromEntries(
		Object.entries(value).map(([key, item]) => [toStorableText(key), storableCopy(item, depth + 1)]),
	);
}

/** How a verified body goes into the ledger: `payload` for the jsonb column, `rawBody` when it differs. */
export interface LedgerBody {
	/** JSON text that `::jsonb` accepts. */
	payload: string;
	/** The body verbatim, only when `payload` is not it. */
	rawBody: string | null;
}

/**
 * The ledger's form of a verified body (`text`, parsed as `value`). Usually the body itself; when jsonb
 * cannot hold it, a copy with NUL removed, unpaired surrogates replaced by U+FFFD, numbers as
 * JavaScript reads them (non-finite ones become null) and subtrees deeper than MAX_STORED_DEPTH
 * replaced by a marker, and the body verbatim in `rawBody`, which a `text` column always holds (valid
 * JSON text has no raw NUL, and a fatal UTF-8 decode left no unpaired surrogate).
 * `force` makes the copy even when the body looks storable (after the database refused it).
 */
export function ledgerBody(text: string, value: unknown, force = false): LedgerBody {
	if (!force && !textNeedsCopy(text) && !needsCopy(value, 0)) return { payload: text, rawBody: null };
	return { payload: JSON.stringify(storableCopy(value, 0)) ?? "null", rawBody: text };
}
