/// <reference types="vite/client" />
/**
 * Providers as one table (issue 9, item 8): the registry (src/providers/index.ts) is what the Worker
 * routes, the send CLI loads (tools/send/providers.ts: src/providers/<name>/send.ts by name) and the
 * docs list. Every provider is one folder with its module, its readers and its send.ts; every secret
 * it declares is in .dev.vars.example and in README's "Environment variables"; the example secrets
 * sign (the CLI) and verify (the Worker) for every provider; deploying requires no secret of a
 * provider a shop picks among several (wrangler.toml `[secrets] required`). The files are read as
 * Vite `?raw` imports: the tests run inside workerd, without a file system.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import devVarsExample from "../../.dev.vars.example?raw";
import readme from "../../README.md?raw";
import { chosenProviders, providers } from "../../src/providers/index";
import type { ProviderSender } from "../../src/providers/sending";
import wranglerToml from "../../wrangler.toml?raw";

const providerFiles = import.meta.glob("../../src/providers/*/*.ts");
const senders = import.meta.glob<ProviderSender>("../../src/providers/*/send.ts", { eager: true, import: "sender" });
/** The test keys, by their path from the repository's root. */
const keyFiles = Object.fromEntries(
	Object.entries(
		import.meta.glob<string>("../../test/fixtures/keys/*", { eager: true, query: "?raw", import: "default" }),
	).map(([path, text]) => [path.replace(/^\.\.\//, "test/"), text]),
);

/** The variables a `.dev.vars` text defines (commented-out lines are not definitions). */
function definedVars(text: string): Map<string, string> {
	return new Map(
		text
			.split("\n")
			.map((line) => /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line))
			.filter((match) => match !== null)
			.map((match) => [match[1] as string, (match[2] as string).trim()]),
	);
}

/** The text of a README section, from its heading to the next heading of the same level. */
function section(heading: string): string {
	const start = readme.indexOf(`\n${heading}\n`);
	if (start === -1) throw new Error(`README has no "${heading}"`);
	const level = heading.split(" ")[0] as string;
	const next = readme.indexOf(`\n${level} `, start + heading.length + 2);
	return readme.slice(start, next === -1 ? undefined : next);
}

/** The names wrangler.toml's `[secrets] required` lists. */
function requiredSecrets(): string[] {
	const table = /^\[secrets\]\s*$([\s\S]*?)(?=^\[)/m.exec(`${wranglerToml}\n[`)?.[1] ?? "";
	const list = /^required\s*=\s*\[([^\]]*)\]/m.exec(table)?.[1] ?? "";
	return [...list.matchAll(/"([^"]+)"/g)].map((match) => match[1] as string);
}

const example = definedVars(devVarsExample);
const folders = [...new Set(Object.keys(providerFiles).map((path) => path.split("/")[4] as string))];
const declared = providers.flatMap((provider) => provider.secrets.map((secret) => [provider.name, secret] as const));
const senderOf = (name: string) => senders[`../../src/providers/${name}/send.ts`];
/** Providers served at a path chosen by a setting (`email/<name>`): a shop uses one of them. */
const chosenAmong = (path: string) => Object.keys(chosenProviders).some((chosen) => path.startsWith(`${chosen}/`));

describe("the provider registry", () => {
	it("names each provider and each path once", () => {
		const names = providers.map((provider) => provider.name);
		const paths = providers.map((provider) => provider.path);
		expect(new Set(names).size).toBe(names.length);
		expect(new Set(paths).size).toBe(paths.length);
		for (const chosen of Object.keys(chosenProviders)) expect(paths).not.toContain(chosen);
	});

	it("is one folder per provider: index.ts, its readers (events.ts or payload.ts) and send.ts", () => {
		expect(folders.sort()).toEqual(providers.map((provider) => provider.name).sort());
		for (const { name } of providers) {
			const has = (file: string) => Object.hasOwn(providerFiles, `../../src/providers/${name}/${file}`);
			expect({
				name,
				index: has("index.ts"),
				reader: has("events.ts") || has("payload.ts"),
				send: has("send.ts"),
			}).toEqual({
				name,
				index: true,
				reader: true,
				send: true,
			});
		}
	});

	it.each(Object.entries(chosenProviders))(
		"%s: the default provider of its setting is one served under it",
		(path, chosen) => {
			expect(providers.map((provider) => provider.path)).toContain(`${path}/${chosen.fallback}`);
		},
	);
});

describe("every secret a provider declares", () => {
	it.each(declared.map(([provider, secret]) => [secret.name, provider, secret] as const))(
		"%s (%s) has a test value in .dev.vars.example",
		(name) => {
			expect(example.get(name), `.dev.vars.example defines ${name}=…`).toMatch(/\S/);
		},
	);

	it.each(declared.map(([provider, secret]) => [secret.name, provider] as const))(
		"%s (%s) is documented in README's Environment variables table",
		(name) => {
			const row = section("## Environment variables")
				.split("\n")
				.find((line) => line.startsWith(`| \`${name}\``));
			expect(row, `README, "Environment variables": a row | \`${name}\` | … |`).toBeDefined();
		},
	);

	it("is required by wrangler.toml only when every deployment needs it (never an email provider's)", () => {
		const required = requiredSecrets();
		const optional = declared.filter(([name]) => chosenAmong(providers.find((p) => p.name === name)?.path ?? ""));
		expect(optional.length).toBeGreaterThan(0);
		for (const [, secret] of optional) expect(required).not.toContain(secret.name);
		// and whatever is required is DATABASE_URL or a declared secret
		const known = new Set(["DATABASE_URL", ...declared.map(([, secret]) => secret.name)]);
		expect(required.filter((name) => !known.has(name))).toEqual([]);
	});
});

describe("the send CLI knows every provider", () => {
	it.each(providers.map((provider) => [provider.name, provider] as const))(
		"%s: send.ts has templates, and what it signs with .dev.vars.example's secrets the Worker verifies",
		async (_name, provider) => {
			const sender = senderOf(provider.name);
			expect(sender, `src/providers/${provider.name}/send.ts exports sender`).toBeDefined();
			if (!sender) return;
			expect(Object.keys(sender.templates).length).toBeGreaterThan(0);
			const { signingSecret } = sender;
			let secret: string;
			if (signingSecret.variable !== undefined) {
				expect(provider.secrets.map((s) => s.name)).toContain(signingSecret.variable);
				secret = (example.get(signingSecret.variable) ?? "").split(/[\s,]+/)[0] as string;
			} else {
				const file = signingSecret.file;
				expect(Object.keys(keyFiles), `${file} exists`).toContain(file);
				expect(keyFiles[file]).toMatch(/test key[:,] local signing only, never production/i);
				secret = keyFiles[file] as string;
			}
			const now = new Date();
			const [type, template] = Object.entries(sender.templates)[0] as [
				string,
				NonNullable<ProviderSender["templates"][string]>,
			];
			const signed = await sender.sign([template(now.getTime(), { to: "ada@example.com", tags: {} })], secret, now);
			// the Worker with .dev.vars.example's values (as npm run dev gives it)
			const local = {
				...env,
				...Object.fromEntries(provider.secrets.map((s) => [s.name, example.get(s.name)])),
			} as Env;
			const url = new URL(`http://127.0.0.1:8787/api/webhooks/${provider.path}`);
			// a token in the URL (Shippo), where the provider authenticates so
			for (const [name, value] of Object.entries(signed.query ?? {})) url.searchParams.set(name, value);
			const verified = await provider.verify(
				new Headers(signed.headers),
				new TextEncoder().encode(signed.body),
				local,
				Math.floor(now.getTime() / 1000),
				url,
			);
			expect(verified, `${provider.name} ${type}`).toMatchObject({ ok: true });
		},
	);

	it("the SendGrid key pair the repository ships is marked a test key in .dev.vars.example too", () => {
		const comment = devVarsExample.slice(0, devVarsExample.indexOf("SENDGRID_WEBHOOK_PUBLIC_KEY="));
		expect(comment.slice(comment.lastIndexOf("\n\n"))).toMatch(/TEST KEY, local signing only, never production/);
	});
});
