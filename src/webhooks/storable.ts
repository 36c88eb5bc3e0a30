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
/** What replaces a subtree beyond MAX_STORED_DEPTH: short, so that a body of many cut subtrees stays small. */
const TOO_DEEP = "…";

/** True when Postgres can store `value` in a text or jsonb string: no NUL, no unpaired surrogate. */
export function isStorableText(value: string): boolean {
	return !value.includes("\u0000") && value.isWellFormed();
}

/** `value` as Postgres can store it: NUL removed, each unpaired surrogate replaced by U+FFFD. */
export function toStorableText(value: string): string {
	return isStorableText(value) ? value : value.replaceAll("\u0000", "").toWellFormed();
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const hexAt = (text: string, i: number) => Number.parseInt(text.slice(i, i + 4), 16);
const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/**
 * True when jsonb may refuse the JSON `text`: a `\u0000` or unpaired surrogate escape in a string or
 * key, a number token with an exponent of 4 digits or more or 1000 characters long (numeric holds
 * up to 1e131071 and down to 1e-16383: this errs on the safe side), or containers nested deeper
 * than MAX_STORED_DEPTH. One pass over the text, not over the parsed value: JSON.parse keeps only
 * the last of repeated keys, while jsonb reads every value. A false alarm only keeps the raw body.
 * `text` must be valid JSON (it was parsed).
 */
function textNeedsCopy(text: string): boolean {
	let depth = 0;
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		if (c === 0x22) {
			// a string: look at its escapes
			for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) {
				if (text.charCodeAt(i) !== 0x5c) continue;
				i++;
				if (text.charCodeAt(i) !== 0x75) continue; // \" \\ \n …
				const code = hexAt(text, i + 1);
				i += 4;
				if (code === 0 || isLowSurrogate(code)) return true;
				if (isHighSurrogate(code)) {
					const paired = text.startsWith("\\u", i + 1) && isLowSurrogate(hexAt(text, i + 3));
					if (!paired) return true;
					i += 6;
				}
			}
		} else if (c === 0x5b || c === 0x7b) {
			if (++depth > MAX_STORED_DEPTH) return true;
		} else if (c === 0x5d || c === 0x7d) {
			depth--;
		} else if (c === 0x2d || isDigit(c)) {
			// a number: -?int(.frac)?([eE][+-]?exp)?
			const start = i;
			let exponentDigits = 0;
			let inExponent = false;
			for (; i + 1 < text.length; i++) {
				const next = text.charCodeAt(i + 1);
				if (next === 0x65 || next === 0x45) inExponent = true;
				else if (isDigit(next)) {
					if (inExponent) exponentDigits++;
				} else if (next !== 0x2e && next !== 0x2b && next !== 0x2d) break;
			}
			if (exponentDigits >= 4 || i - start >= 1000) return true;
		}
	}
	return false;
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
 * replaced by the string "…" (at most ~1.7 times the body, when a body is all cut subtrees), and the body verbatim in `rawBody`, which a `text` column always holds (valid
 * JSON text has no raw NUL, and a fatal UTF-8 decode left no unpaired surrogate).
 * `force` makes the copy even when the body looks storable (after the database refused it).
 */
export function ledgerBody(text: string, value: unknown, force = false): LedgerBody {
	if (!force && !textNeedsCopy(text)) return { payload: text, rawBody: null };
	return { payload: JSON.stringify(storableCopy(value, 0)) ?? "null", rawBody: text };
}
