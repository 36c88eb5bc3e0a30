/**
 * Test helper: fast-check arbitraries of webhook bodies a provider could sign, for the property tests
 * of issue 7. A body is generated as raw JSON text, so that it can hold what `JSON.stringify` never
 * writes: numbers beyond a double or beyond Postgres' `numeric` (1e400, 1e131072), `-0`, deep
 * nesting, duplicate keys. Strings come with NUL (`\u0000`), unpaired surrogates (`\ud83d`) and
 * thousands of characters. Every generated body is valid UTF-8 JSON under 1 MiB.
 *
 * Ids that must be unique per delivery (event, user, order…) are written as tokens (`⟦order⟧`,
 * `⟦event*300⟧` = a fresh id padded to 300 characters) that `withFreshIds` replaces when the case
 * runs, so that a counterexample prints as the text that was signed, tokens aside.
 */
import fc from "fast-check";
import { clerkFixtures } from "./clerk";
import { stripeFixtures } from "./stripe";

/** Marks every generated string that holds a NUL: no log line and no ledger reason may ever show it. */
export const SENTINEL = "zqxsentinel";

/** JSON text written verbatim. */
export class Raw {
	constructor(readonly text: string) {}
}

/** A JSON object written entry by entry, so that it can repeat a key. */
export class Entries {
	constructor(readonly entries: [string, unknown][]) {}
}

/** `value` as JSON text; Raw and Entries are written as they are, `undefined` as null. */
export function jsonText(value: unknown): string {
	if (value instanceof Raw) return value.text;
	if (value instanceof Entries)
		return `{${value.entries.map(([key, item]) => `${JSON.stringify(key)}:${jsonText(item)}`).join(",")}}`;
	if (Array.isArray(value)) return `[${value.map(jsonText).join(",")}]`;
	if (value !== null && typeof value === "object") return jsonText(new Entries(Object.entries(value)));
	return JSON.stringify(value) ?? "null";
}

// ---------------------------------------------------------------------------------------------
// Fresh ids

export type FreshKind = "event" | "user" | "order" | "pi" | "sub" | "cus";

/** A token for a fresh id of `kind`, optionally padded with `x` to `length` characters. */
export const fresh = (kind: FreshKind, length?: number) => `⟦${kind}${length === undefined ? "" : `*${length}`}⟧`;

const freshToken = /⟦(event|user|order|pi|sub|cus)(?:\*(\d+))?⟧/g;

/** Replaces the tokens of `text` by `ids` (one id per kind, padded where the token says). */
export function withFreshIds(text: string, ids: Record<FreshKind, string>): string {
	return text.replace(freshToken, (_, kind: FreshKind, length?: string) =>
		length ? ids[kind].padEnd(Number(length), "x") : ids[kind],
	);
}

/** True when `text` refers to the fresh order (or its payment intent): the case must create it first. */
export const needsOrder = (text: string) => /⟦(order|pi)[*⟧]/.test(text);

// ---------------------------------------------------------------------------------------------
// Odd values

const shortString = fc.string({ maxLength: 8 });
const binaryString = fc.string({ unit: "binary", maxLength: 30 });

/** A string with a NUL (and the sentinel). */
const nulString = fc.tuple(shortString, binaryString).map(([before, after]) => `${SENTINEL}${before}\u0000${after}`);

/** A string with an unpaired surrogate: JSON.stringify writes it as an escape (`\ud83d`). */
const loneSurrogateString = fc
	.tuple(shortString, fc.integer({ min: 0xd800, max: 0xdfff }), shortString)
	.map(([before, unit, after]) => `${before}${String.fromCharCode(unit)}${after}`);

const longString = fc
	.tuple(fc.integer({ min: 254, max: 5000 }), fc.constantFrom("x", "é", "😀", "\ud83d"))
	.map(([length, unit]) => unit.repeat(length));

/** Strings Postgres cannot hold, or that are long, empty or odd in some other way. */
export const oddString = fc.oneof(
	nulString,
	loneSurrogateString,
	binaryString,
	longString,
	fc.constantFrom("", " ", "\ufeff", "\u2028", "null", "0", "\ud83d", "\udc00\ud800", "💥", "\\u0000"),
);

const deepText = (depth: number, open: "[" | "{") =>
	open === "[" ? `${"[".repeat(depth)}${"]".repeat(depth)}` : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;

/**
 * Nesting around the ledger's MAX_STORED_DEPTH (200), beyond it, and beyond what Postgres' parser takes
 * with its default 2 MB stack (about 20,000 levels: 54001 statement_too_complex).
 */
export const deepValue = fc
	.tuple(
		fc.oneof(
			{ arbitrary: fc.integer({ min: 195, max: 205 }), weight: 2 },
			{ arbitrary: fc.integer({ min: 300, max: 5000 }), weight: 2 },
			{ arbitrary: fc.integer({ min: 15_000, max: 100_000 }), weight: 1 },
		),
		fc.constantFrom("[" as const, "{" as const),
	)
	.map(([depth, open]) => new Raw(deepText(depth, open)));

const beyondNumericDigits = "9".repeat(131_073); // numeric holds 131072 digits before the point

/** Numbers as raw JSON text: beyond a double, beyond `numeric`, tiny, negative zero, long integers. */
export const rawNumber = fc
	.oneof(
		fc.constantFrom(
			"1e400",
			"-1e400",
			"1e-400",
			"1e131072",
			"-1e131072",
			"1E+131071",
			"1e-16383",
			"1e-16384",
			"1e-20000",
			"-0",
			"-0.0",
			"0e0",
			"123456789012345678901234567890",
			"-123456789012345678901234567890",
			"9007199254740993",
			"1.7976931348623157e308",
			"5e-324",
			"1e15",
			"9e15",
			beyondNumericDigits,
		),
		fc.integer({ min: 1, max: 200_000 }).map((exponent) => `1e${exponent}`),
		fc.integer({ min: 1, max: 20_000 }).map((exponent) => `-2.5e-${exponent}`),
		fc.integer({ min: 990, max: 2000 }).map((digits) => "7".repeat(digits)),
		fc.double().map((value) => (Number.isFinite(value) ? JSON.stringify(value) : "1e999")),
		fc.bigInt().map(String),
	)
	.map((text) => new Raw(text));

/** Times (seconds or milliseconds) that no Date, timestamptz or schema should take at face value. */
export const oddTime = fc.oneof(
	fc.constantFrom(-1, -8.64e15, 0, 1.5, 1e15, 9e15, 8.64e15, 8.64e15 + 1, 253_402_300_800, 253_402_300_800_000),
	fc.constant(Number.MAX_SAFE_INTEGER),
	fc.constantFrom("1e400", "-0", "1e-400", "9e99", "1e20").map((text) => new Raw(text)),
	fc.constantFrom("2026-01-15T12:00:00Z", "", "soon", null, true, [], {}),
	fc.integer(),
);

/** Event and object ids: unstorable, long (around the 255-character limit of a key), or not strings. */
export const oddId = fc.oneof(
	oddString,
	fc.constantFrom(255, 256).map((length) => `id_${"7".repeat(length - 3)}`),
	fc.integer({ min: 200, max: 5000 }).map((length) => `id_${"k".repeat(length)}`),
	fc.constantFrom(0, -1, 1.5, null, true, [], ["id_1"], { id: "id_1" }),
	rawNumber,
);

/** Arbitrary JSON, strings included unpaired surrogates and NUL. */
export const anyJson = fc.jsonValue({ stringUnit: "binary", maxDepth: 3 });

/** Any odd value. */
export const oddValue: fc.Arbitrary<unknown> = fc.oneof(
	{ arbitrary: oddString, weight: 3 },
	{ arbitrary: rawNumber, weight: 2 },
	{ arbitrary: deepValue, weight: 1 },
	{ arbitrary: oddTime, weight: 1 },
	{ arbitrary: oddId, weight: 1 },
	{ arbitrary: anyJson, weight: 2 },
	{ arbitrary: fc.constantFrom([], [{}], "object", 1, null, false), weight: 1 },
);

// ---------------------------------------------------------------------------------------------
// Envelopes of handled types, with some fields replaced

type Path = (string | number)[];
type Hint = "text" | "id" | "time" | "any" | "type";

const hinted: Record<Hint, fc.Arbitrary<unknown>> = {
	text: oddString,
	id: oddId,
	time: oddTime,
	type: fc.oneof(
		fc.string({ unit: "binary", maxLength: 20 }),
		fc.constantFrom("", "user.created\u0000", "x".repeat(300)),
	),
	any: oddValue,
};

const deleted = Symbol("deleted");

/** One change to an envelope: a field replaced (or removed), or a key of an object repeated in the text. */
type Mutation =
	| { kind: "set"; path: Path; value: unknown }
	| { kind: "repeat"; path: Path; key: string; value: unknown; first: boolean };

function mutation(fields: [Path, Hint][]): fc.Arbitrary<Mutation> {
	const set = fc
		.constantFrom(...fields)
		.chain(([path, hint]) =>
			fc
				.oneof(
					{ arbitrary: hinted[hint], weight: 4 },
					{ arbitrary: oddValue, weight: 1 },
					{ arbitrary: fc.constant(deleted), weight: 1 },
				)
				.map((value): Mutation => ({ kind: "set", path, value })),
		);
	const repeat = fc
		.record({ field: fc.constantFrom(...fields), value: oddValue, first: fc.boolean() })
		.map(({ field: [path], value, first }): Mutation => {
			const key = path.at(-1);
			return typeof key === "string"
				? { kind: "repeat", path: path.slice(0, -1), key, value, first }
				: { kind: "repeat", path: [], key: "type", value, first };
		});
	return fc.oneof({ arbitrary: set, weight: 4 }, { arbitrary: repeat, weight: 1 });
}

/** A deep copy that keeps Raw and Entries (generated values are shared between runs: never edit them). */
function copy(value: unknown): unknown {
	if (value instanceof Raw) return value;
	if (value instanceof Entries) return new Entries(value.entries.map(([key, item]) => [key, copy(item)]));
	if (Array.isArray(value)) return value.map(copy);
	if (value !== null && typeof value === "object")
		return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, copy(item)]));
	return value;
}

const isContainer = (node: unknown): node is Record<string | number, unknown> | Entries =>
	node !== null && typeof node === "object" && !(node instanceof Raw);

/** The member `segment` of a JSON container (the last one of a repeated key). */
function child(node: unknown, segment: string | number): unknown {
	if (node instanceof Entries) return node.entries.findLast(([key]) => key === String(segment))?.[1];
	return isContainer(node) ? (node as Record<string | number, unknown>)[segment] : undefined;
}

function setChild(node: Record<string | number, unknown> | Entries, segment: string | number, value: unknown) {
	if (node instanceof Entries) {
		const at = node.entries.findLastIndex(([key]) => key === String(segment));
		if (value === deleted) {
			if (at >= 0) node.entries.splice(at, 1);
		} else if (at >= 0) node.entries[at] = [String(segment), value];
		else node.entries.push([String(segment), value]);
	} else if (value === deleted) delete node[segment];
	else node[segment] = value;
}

/** Sets `path` in `root` (a copy), making the containers on the way. */
function setPath(root: Record<string, unknown> | Entries, path: Path, value: unknown) {
	let node: Record<string | number, unknown> | Entries = root;
	for (const segment of path.slice(0, -1)) {
		let next = child(node, segment);
		if (!isContainer(next)) {
			next = {};
			setChild(node, segment, next);
		}
		node = next as Record<string | number, unknown> | Entries;
	}
	setChild(node, path.at(-1) as string | number, value);
}

/** Repeats `key` in the object at `path` (adding it when absent); returns the new root. */
function repeatKey(root: Record<string, unknown> | Entries, m: Extract<Mutation, { kind: "repeat" }>) {
	const node = m.path.reduce<unknown>(child, root);
	if (!isContainer(node) || Array.isArray(node)) return root;
	const entries = node instanceof Entries ? node.entries : Object.entries(node);
	const extra: [string, unknown] = [m.key, copy(m.value)];
	const repeated = new Entries(m.first ? [extra, ...entries] : [...entries, extra]);
	if (m.path.length === 0) return repeated;
	setPath(root, m.path, repeated);
	return root;
}

/** The text of `template` after `mutations` (fields first, repeated keys last). */
function mutated(template: unknown, mutations: Mutation[]): string {
	let root = copy(template) as Record<string, unknown> | Entries;
	for (const m of mutations) if (m.kind === "set") setPath(root, m.path, m.value === deleted ? deleted : copy(m.value));
	for (const m of mutations) if (m.kind === "repeat") root = repeatKey(root, m);
	return jsonText(root);
}

interface Template {
	name: string;
	body: unknown;
	fields: [Path, Hint][];
}

/** Arbitrary bodies made from `templates`, each with zero to four of its fields replaced. */
function envelopes(templates: Template[]): fc.Arbitrary<string> {
	return fc
		.constantFrom(...templates)
		.chain((template) =>
			fc.array(mutation(template.fields), { maxLength: 4 }).map((mutations) => mutated(template.body, mutations)),
		);
}

// Clerk -----------------------------------------------------------------------------------------

const clerkUserFields: [Path, Hint][] = [
	[["type"], "type"],
	[["timestamp"], "time"],
	[["object"], "any"],
	[["data"], "any"],
	[["data", "id"], "id"],
	[["data", "first_name"], "text"],
	[["data", "last_name"], "text"],
	[["data", "username"], "text"],
	[["data", "image_url"], "text"],
	[["data", "created_at"], "time"],
	[["data", "updated_at"], "time"],
	[["data", "primary_email_address_id"], "id"],
	[["data", "email_addresses"], "any"],
	[["data", "email_addresses", 0, "email_address"], "text"],
	[["data", "email_addresses", 0, "id"], "id"],
	[["data", "email_addresses", 0, "verification"], "any"],
	[["data", "unsafe_metadata", "note"], "text"],
	[["data", "public_metadata"], "any"],
];

function clerkTemplate(type: "user.created" | "user.updated"): Template {
	const body = structuredClone(type === "user.created" ? clerkFixtures.created : clerkFixtures.updated);
	body.type = type;
	body.data.id = fresh("user");
	return { name: type, body, fields: clerkUserFields };
}

const clerkDeleted: Template = {
	name: "user.deleted",
	body: { ...structuredClone(clerkFixtures.deleted), data: { deleted: true, id: fresh("user"), object: "user" } },
	fields: [
		[["type"], "type"],
		[["timestamp"], "time"],
		[["data"], "any"],
		[["data", "id"], "id"],
		[["data", "deleted"], "any"],
	],
};

/** Bodies of Clerk events: handled types with odd fields, unknown types, and arbitrary JSON. */
export const clerkBody: fc.Arbitrary<string> = fc.oneof(
	{ arbitrary: envelopes([clerkTemplate("user.created"), clerkTemplate("user.updated"), clerkDeleted]), weight: 6 },
	{
		arbitrary: fc
			.record({
				type: fc.oneof(
					fc.constantFrom("session.created", "organization.created", "email.created", "user.banned", "sms.created"),
					hinted.type,
				),
				data: fc.oneof(anyJson, fc.constant({ user_id: fresh("user"), id: fresh("event") })),
				object: fc.constant("event"),
				timestamp: fc.oneof(fc.constant(1_768_478_400_000), oddTime),
			})
			.map(jsonText),
		weight: 2,
	},
	{ arbitrary: arbitraryJsonText(), weight: 2 },
);

// Stripe ----------------------------------------------------------------------------------------

const stripeCommonFields: [Path, Hint][] = [
	[["id"], "id"],
	[["type"], "type"],
	[["created"], "time"],
	[["account"], "id"],
	[["livemode"], "any"],
	[["data"], "any"],
	[["data", "object"], "any"],
	[["data", "object", "id"], "id"],
	[["data", "object", "metadata"], "any"],
	[["data", "object", "metadata", "order_id"], "id"],
	[["data", "object", "metadata", "user_id"], "id"],
	[["data", "object", "metadata", "note"], "text"],
	[["data", "object", "customer"], "id"],
];

function stripeTemplate(
	type: string,
	body: unknown,
	fields: [Path, Hint][],
	edit: (object: Record<string, unknown>) => void,
): Template {
	const event = structuredClone(body) as { id: string; type: string; data: { object: Record<string, unknown> } };
	event.id = fresh("event");
	event.type = type;
	edit(event.data.object);
	return {
		name: type,
		body: event,
		fields: [...stripeCommonFields, ...fields],
	};
}

const orderMetadata = () => ({ order_id: fresh("order"), note: "gift wrap" });

const stripeTemplates: Template[] = [
	stripeTemplate(
		"payment_intent.succeeded",
		stripeFixtures["payment_intent.succeeded"],
		[
			[["data", "object", "amount"], "any"],
			[["data", "object", "last_payment_error"], "any"],
			[["data", "object", "cancellation_reason"], "text"],
		],
		(o) => {
			o.id = fresh("pi");
			o.metadata = orderMetadata();
			o.customer = fresh("cus");
		},
	),
	stripeTemplate(
		"checkout.session.completed",
		stripeFixtures["checkout.session.completed"],
		[
			[["data", "object", "client_reference_id"], "id"],
			[["data", "object", "payment_intent"], "id"],
			[["data", "object", "payment_status"], "any"],
		],
		(o) => {
			o.client_reference_id = fresh("order");
			o.metadata = orderMetadata();
			o.payment_intent = fresh("pi");
			o.customer = fresh("cus");
		},
	),
	stripeTemplate(
		"charge.refunded",
		{
			id: "",
			object: "event",
			created: 1_768_478_400,
			type: "",
			data: {
				object: {
					id: "ch_3QxYzA2eZvKYlo2C1mNoPqR0",
					object: "charge",
					amount: 4999,
					amount_captured: 4999,
					amount_refunded: 1000,
					refunded: false,
					currency: "usd",
					status: "succeeded",
				},
			},
		},
		[
			[["data", "object", "amount"], "any"],
			[["data", "object", "amount_refunded"], "any"],
			[["data", "object", "payment_intent"], "id"],
		],
		(o) => {
			o.payment_intent = fresh("pi");
			o.metadata = orderMetadata();
		},
	),
	stripeTemplate(
		"customer.subscription.updated",
		stripeFixtures["customer.subscription.updated"],
		[
			[["data", "object", "status"], "id"],
			[["data", "object", "current_period_end"], "time"],
			[["data", "object", "canceled_at"], "time"],
			[["data", "object", "cancel_at_period_end"], "any"],
			[["data", "object", "items", "data", 0, "current_period_end"], "time"],
			[["data", "object", "items", "data", 0, "price", "id"], "id"],
			[["data", "object", "items"], "any"],
		],
		(o) => {
			o.id = fresh("sub");
			o.customer = fresh("cus");
			o.metadata = { user_id: fresh("user"), note: "annual" };
		},
	),
	stripeTemplate(
		"invoice.paid",
		stripeFixtures["invoice.paid"],
		[
			[["data", "object", "subscription"], "id"],
			[["data", "object", "parent"], "any"],
			[["data", "object", "parent", "subscription_details", "subscription"], "id"],
			[["data", "object", "lines"], "any"],
			[["data", "object", "lines", "data", 0, "parent", "subscription_item_details", "subscription"], "id"],
		],
		(o) => {
			o.customer = fresh("cus");
			setPath(o, ["parent", "subscription_details", "subscription"], fresh("sub"));
		},
	),
];

/** Every string of the templates: shared with other tests (fixture ids), so never a sign that a case wrote. */
export function templateStrings(): Set<string> {
	const found = new Set<string>();
	const visit = (node: unknown) => {
		if (typeof node === "string") found.add(node);
		else if (node !== null && typeof node === "object") for (const item of Object.values(node)) visit(item);
	};
	for (const template of [
		clerkTemplate("user.created"),
		clerkTemplate("user.updated"),
		clerkDeleted,
		...stripeTemplates,
		thinEvent,
	])
		visit(template.body);
	return found;
}

/** A Stripe v2 "thin" event: no `data.object`, `created` as an ISO string. */
const thinEvent: Template = {
	name: "v2 thin event",
	body: {
		id: fresh("event"),
		object: "v2.core.event",
		type: "v1.billing.meter.error_report_triggered",
		livemode: false,
		created: "2026-01-15T12:00:00.000Z",
		context: null,
		reason: null,
		related_object: { id: "mtr_test_61RCrLW", type: "billing.meter", url: "/v1/billing/meters/mtr_test_61RCrLW" },
	},
	fields: [
		[["id"], "id"],
		[["type"], "type"],
		[["created"], "time"],
		[["related_object"], "any"],
		[["related_object", "id"], "id"],
		[["context"], "any"],
	],
};

/** Bodies of Stripe events: handled types with odd fields, v2 thin events, unknown types, arbitrary JSON. */
export const stripeBody: fc.Arbitrary<string> = fc.oneof(
	{ arbitrary: envelopes(stripeTemplates), weight: 6 },
	{ arbitrary: envelopes([thinEvent]), weight: 1 },
	{
		arbitrary: fc
			.record({
				id: fc.oneof(fc.constant(fresh("event")), oddId),
				object: fc.constant("event"),
				type: fc.oneof(
					fc.constantFrom("customer.created", "product.updated", "payment_intent.created", "v2.core.account.updated"),
					hinted.type,
				),
				created: fc.oneof(fc.constant(1_768_478_400), oddTime),
				data: fc.oneof(anyJson, fc.record({ object: anyJson })),
			})
			.map(jsonText),
		weight: 2,
	},
	{ arbitrary: arbitraryJsonText(), weight: 2 },
);

// Arbitrary JSON ----------------------------------------------------------------------------------

/** Any JSON text: a value of fast-check's json arbitraries, an odd value alone, or an object of odd fields. */
function arbitraryJsonText(): fc.Arbitrary<string> {
	return fc.oneof(
		anyJson.map(jsonText),
		fc.json({ maxDepth: 3 }),
		oddValue.map(jsonText),
		fc.dictionary(fc.constantFrom("id", "type", "data", "created", "timestamp", "object"), oddValue).map(jsonText),
	);
}

// Event ids in headers --------------------------------------------------------------------------

/** Printable ASCII: workerd would send other characters as UTF-8, with a warning. */
const headerChar = fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code));

/**
 * Values of a Standard Webhooks `svix-id` header: mostly a fresh id, else odd printable ids and long
 * ones, up to a few KB. No leading or trailing whitespace: Headers would trim it.
 */
export const svixId: fc.Arbitrary<string> = fc.oneof(
	{ arbitrary: fc.constant(fresh("event")), weight: 4 },
	{
		arbitrary: fc.string({ unit: headerChar, minLength: 1, maxLength: 40 }),
		weight: 1,
	},
	{ arbitrary: fc.integer({ min: 200, max: 5000 }).map((length) => fresh("event", length)), weight: 1 },
	{ arbitrary: fc.constantFrom(255, 256).map((length) => fresh("event", length)), weight: 1 },
);
