/**
 * tools/dot-vars.ts: what `npm run dev` appends to an existing .dev.vars when a newer
 * .dev.vars.example names more variables (a provider added since), and the names wrangler.toml's
 * `[secrets] required` lists (`wrangler dev` loads only those from .dev.vars; `npm run dev` passes
 * it the others).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { missingDotVars, readDotVars, requiredSecrets } from "../../tools/dot-vars.ts";

const example = `# Local secrets (header)

# Clerk's secret.
CLERK_WEBHOOK_SIGNING_SECRET=whsec_clerk

# Resend's secret,
# on two lines.
RESEND_WEBHOOK_SECRET=whsec_resend

# A setting, commented out: not a variable.
# EMAIL_PROVIDER=resend
MAILGUN_WEBHOOK_SIGNING_KEY=key-mailgun
`;

describe("missingDotVars", () => {
	it("appends each missing variable with the comment just above it, nothing else", () => {
		const missing = missingDotVars(example, { CLERK_WEBHOOK_SIGNING_SECRET: "whsec_mine" });
		expect(missing.names).toEqual(["RESEND_WEBHOOK_SECRET", "MAILGUN_WEBHOOK_SIGNING_KEY"]);
		expect(missing.text).toBe(
			"\n# Resend's secret,\n# on two lines.\nRESEND_WEBHOOK_SECRET=whsec_resend\n" +
				"\n# A setting, commented out: not a variable.\n# EMAIL_PROVIDER=resend\nMAILGUN_WEBHOOK_SIGNING_KEY=key-mailgun\n",
		);
	});

	it("is empty when every variable is there, whatever its value (an empty one included)", () => {
		const present = { CLERK_WEBHOOK_SIGNING_SECRET: "x", RESEND_WEBHOOK_SECRET: "", MAILGUN_WEBHOOK_SIGNING_KEY: "y" };
		expect(missingDotVars(example, present)).toEqual({ names: [], text: "" });
	});

	it("makes the repository's .dev.vars.example complete when appended to an empty file", () => {
		const text = readFileSync(new URL("../../.dev.vars.example", import.meta.url), "utf8");
		const { names } = missingDotVars(text, {});
		expect(names.sort()).toEqual(Object.keys(readDotVars(new URL("../../.dev.vars.example", import.meta.url))).sort());
	});
});

describe("requiredSecrets", () => {
	it("reads [secrets] required, and nothing of another table", () => {
		const toml = `[vars]\nrequired = ["NOT_THIS"]\n\n[secrets]\nrequired = ["DATABASE_URL", "A_SECRET"]\n\n[[queues.producers]]\nbinding = "JOBS"\n`;
		expect(requiredSecrets(toml)).toEqual(["DATABASE_URL", "A_SECRET"]);
		expect(requiredSecrets("[vars]\nX = 1\n")).toEqual([]);
	});

	it("in wrangler.toml: what every deployment needs, no email provider's secret", () => {
		const toml = readFileSync(new URL("../../wrangler.toml", import.meta.url), "utf8");
		expect(requiredSecrets(toml)).toEqual(["DATABASE_URL", "CLERK_WEBHOOK_SIGNING_SECRET", "STRIPE_WEBHOOK_SECRET"]);
	});
});
