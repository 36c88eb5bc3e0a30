/**
 * @module signatures/secrets
 * Secret settings: one variable may hold several secrets (rotation), separated by spaces or commas.
 */

export function splitSecrets(setting: string): string[] {
	return setting.split(/[\s,]+/).filter((secret) => secret.length > 0);
}
