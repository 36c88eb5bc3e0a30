/**
 * The retry delay (src/queue/backoff.ts): exponential ceiling, full jitter, capped, always a whole
 * number of seconds Queues accepts (1 s to 12 h), whatever the attempt count or the random source.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffSeconds, MAX_DELAY_SECONDS, retryBackoff } from "../../src/queue/backoff";

const top = () => 0.999_999_999; // just below 1: the ceiling itself
const bottom = () => 0;

describe("backoffSeconds", () => {
	it.each([
		[1, 15],
		[2, 30],
		[3, 60],
		[4, 120],
		[7, 960],
		[8, 1800],
		[30, 1800],
		[101, 1800],
	])("attempt %i: the delay's ceiling is %i s", (attempts, ceiling) => {
		expect(backoffSeconds(attempts, top)).toBe(ceiling);
	});

	it("draws the whole range below the ceiling, never 0", () => {
		expect(backoffSeconds(5, bottom)).toBe(1);
		expect(backoffSeconds(5, () => 0.5)).toBe(120); // half of 240
		expect(backoffSeconds(5, () => 0.0001)).toBe(1);
	});

	it("takes its policy as a parameter, and caps it at the 12 h Queues accept", () => {
		expect(MAX_DELAY_SECONDS).toBe(43_200);
		expect(backoffSeconds(3, top, { baseSeconds: 2, capSeconds: 100 })).toBe(8);
		expect(backoffSeconds(40, top, { baseSeconds: 2, capSeconds: 100 })).toBe(100);
		expect(backoffSeconds(40, top, { baseSeconds: 60, capSeconds: 10 ** 9 })).toBe(43_200);
	});

	it.each([0, -3, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])(
		"an odd attempt count (%s) still gives a delay within bounds",
		(attempts) => {
			const delay = backoffSeconds(attempts, top);
			expect(Number.isInteger(delay)).toBe(true);
			expect(delay).toBeGreaterThanOrEqual(1);
			expect(delay).toBeLessThanOrEqual(retryBackoff.capSeconds);
		},
	);

	it("an odd random source (out of [0, 1), NaN) still gives a delay within bounds", () => {
		for (const r of [-1, 1, 7, Number.NaN, Number.POSITIVE_INFINITY])
			expect(backoffSeconds(4, () => r)).toSatisfy((d: number) => Number.isInteger(d) && d >= 1 && d <= 120);
	});

	it("is a whole number of seconds in [1, min(cap, base·2^(n−1))] for every attempt and draw", () => {
		fc.assert(
			fc.property(fc.integer({ min: 1, max: 200 }), fc.double({ min: 0, max: 1, maxExcluded: true }), (n, r) => {
				const delay = backoffSeconds(n, () => r);
				const ceiling = Math.min(retryBackoff.capSeconds, retryBackoff.baseSeconds * 2 ** (n - 1));
				return Number.isInteger(delay) && delay >= 1 && delay <= ceiling;
			}),
		);
	});

	it("spreads the retries of a backlog that failed together", () => {
		const delays = new Set(Array.from({ length: 200 }, () => backoffSeconds(10)));
		expect(delays.size).toBeGreaterThan(100);
	});
});
