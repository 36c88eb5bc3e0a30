/**
 * Test helper: the fast-check parameters of every property test. `npm test` runs a few seeded cases
 * (seconds); `npm run test:properties` runs many (PROPERTY_RUNS, default 500). A failure prints its
 * shrunk counterexample, seed and path: `PROPERTY_SEED=<seed> npm test -- <file>` replays the run.
 */
import { env } from "cloudflare:test";

const bindings = env as unknown as { PROPERTY_RUNS?: string; PROPERTY_SEED?: string };

/** The seed of this run: fixed in `npm test` so that a failure reproduces, or PROPERTY_SEED. */
export const propertySeed = Number(bindings.PROPERTY_SEED) || 20261129;

/** fast-check options for a property test whose default number of runs is `runs`. */
export function propertyOptions(runs: number) {
	const asked = Number(bindings.PROPERTY_RUNS);
	// fast-check shrinks a failure to a small counterexample before it reports it.
	return { numRuns: asked > 0 ? asked : runs, seed: propertySeed } as const;
}
