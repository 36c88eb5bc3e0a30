/**
 * What the send CLI, the benchmark and the smoke run know of each provider, read from the Worker's
 * own registry (src/providers/index.ts: name, path, secrets) and, by convention, each provider's
 * `src/providers/<name>/send.ts` (templates and signing: src/providers/sending.ts). Adding a provider
 * is its folder and its line in the registry; nothing here names one.
 * The registry is TypeScript written for the Worker (extensionless imports): run these tools with
 * `node --import tsx` (package.json does).
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ProviderSender, SigningSecret } from "../../src/providers/sending.ts";
import { firstSecret, readDotVars } from "../dot-vars.ts";

/** The registry's view of a provider (src/webhooks/provider.ts WebhookProvider, the fields read here). */
interface RegisteredProvider {
	name: string;
	path: string;
	secrets: readonly { name: string; description: string }[];
}

interface Registry {
	providers: readonly RegisteredProvider[];
	chosenProviders: Readonly<Record<string, { setting: string; fallback: string }>>;
}

export interface Sender extends ProviderSender {
	name: string;
	/** `/api/webhooks/<path>` */
	path: string;
	/** The command-line words that name it: its path's segments (`clerk`, `email resend`). */
	words: string[];
	/** The variables the Worker reads for it (the registry's `secrets`). */
	secrets: readonly { name: string; description: string }[];
}

/** A path served for a provider chosen by a setting (`/api/webhooks/email`, EMAIL_PROVIDER). */
export interface ChosenPath {
	words: string[];
	path: string;
	setting: string;
	fallback: string;
}

export const root = fileURLToPath(new URL("../..", import.meta.url));
const registryFile = new URL("../../src/providers/index.ts", import.meta.url);

/** Loads the registry and every provider's send.ts. Throws, saying what to add, when one is missing. */
export async function loadSenders(): Promise<{ senders: Sender[]; chosen: ChosenPath[] }> {
	let registry: Registry;
	try {
		// A computed specifier: the tools' typecheck must not follow the Worker's imports.
		registry = (await import(registryFile.href)) as Registry;
	} catch (error) {
		const hint = (error as { code?: string }).code === "ERR_MODULE_NOT_FOUND" ? " (run with node --import tsx)" : "";
		throw new Error(`cannot load the provider registry src/providers/index.ts${hint}: ${(error as Error).message}`);
	}
	const senders = await Promise.all(
		registry.providers.map(async (provider): Promise<Sender> => {
			const file = new URL(`../../src/providers/${provider.name}/send.ts`, import.meta.url);
			if (!existsSync(file)) {
				throw new Error(
					`src/providers/${provider.name}/send.ts is missing: every provider of src/providers/index.ts needs one (templates and signing: src/providers/sending.ts)`,
				);
			}
			const { sender } = (await import(file.href)) as { sender?: ProviderSender };
			if (!sender || typeof sender.sign !== "function" || typeof sender.templates !== "object") {
				throw new Error(`src/providers/${provider.name}/send.ts must export \`sender\` (a ProviderSender)`);
			}
			return {
				...sender,
				name: provider.name,
				path: `/api/webhooks/${provider.path}`,
				words: provider.path.split("/"),
				secrets: provider.secrets,
			};
		}),
	);
	const chosen = Object.entries(registry.chosenProviders).map(([path, { setting, fallback }]) => ({
		words: path.split("/"),
		path: `/api/webhooks/${path}`,
		setting,
		fallback,
	}));
	return { senders, chosen };
}

/** `.dev.vars`, where `npm run dev` keeps the local Worker's secrets and settings. */
export const devVars = () => readDotVars(`${root}.dev.vars`);

/** A setting as the local Worker sees it: the environment (an empty value is unset), else `.dev.vars`. */
export function localSetting(name: string): string | undefined {
	return process.env[name]?.trim() || devVars()[name]?.trim() || undefined;
}

/**
 * The secret to sign with and where it came from: `--secret` (for a key file provider, a file path or
 * the key itself), else the Worker's variable from the environment or `.dev.vars` (its first value,
 * when it holds several), else the repository's test key file. Undefined when there is none.
 */
export function signingSecret(
	secret: SigningSecret,
	option: string | undefined,
	vars: Record<string, string> = devVars(),
): { source: string; value: string } | undefined {
	if (option?.trim()) {
		if (secret.file !== undefined && existsSync(option)) return { source: option, value: readFileSync(option, "utf8") };
		return { source: "--secret", value: secret.file !== undefined ? option : (firstSecret(option) ?? option) };
	}
	if (secret.variable !== undefined) {
		for (const [source, setting] of [
			[secret.variable, process.env[secret.variable]],
			[`${secret.variable} in .dev.vars`, vars[secret.variable]],
		] as const) {
			const value = firstSecret(setting ?? "");
			if (value) return { source, value };
		}
		return undefined;
	}
	return { source: secret.file, value: readFileSync(`${root}${secret.file}`, "utf8") };
}

/** How the command line names each provider, for usage lines: `clerk`, `email resend`, … */
export const commandOf = (sender: { words: string[] }) => sender.words.join(" ");
