/**
 * Test helper: sends a request through the Worker's own fetch handler (inside workerd, against the
 * test database) and collects what a user would look at: the status, the JSON body, the log lines,
 * and the HTTP requests the Worker made to the database endpoint. A Worker whose DATABASE_URL is
 * `unreachableDatabaseUrl` finds its database unreachable (./unreachable.ts).
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { vi } from "vitest";
import worker from "../../src/index";
import { withUnreachableDatabase } from "./unreachable";

/** What the Worker printed and asked the database while `run` ran. */
export interface Observed<T> {
	value: T;
	/** Every line the Worker logged, parsed from JSON. */
	logs: Record<string, unknown>[];
	/** Raw text of everything logged, to search for data that must not appear. */
	logText: string;
	/** URLs of the Worker's requests to the database's SQL endpoint. */
	databaseRequests: string[];
}

export interface Delivered extends Omit<Observed<unknown>, "value"> {
	status: number;
	body: Record<string, unknown>;
}

/** Runs `run` with the console captured and the database requests counted (an unreachable database fails). */
export async function observe<T>(run: () => Promise<T>): Promise<Observed<T>> {
	const printed: string[] = [];
	const spies = (["log", "warn", "error"] as const).map((level) =>
		vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
			printed.push(args.map(String).join(" "));
		}),
	);
	const networkFetch = withUnreachableDatabase(globalThis.fetch);
	const databaseRequests: string[] = [];
	const fetchSpy = vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
		const url = input instanceof Request ? input.url : String(input);
		if (url.endsWith("/sql")) databaseRequests.push(url);
		return networkFetch(input, init);
	});
	try {
		const value = await run();
		return { value, logs: printed.map((line) => JSON.parse(line)), logText: printed.join("\n"), databaseRequests };
	} finally {
		for (const spy of spies) spy.mockRestore();
		fetchSpy.mockRestore();
	}
}

export async function deliver(request: Request, bindings: Env = env): Promise<Delivered> {
	const { value: response, ...observed } = await observe(async () => {
		const ctx = createExecutionContext();
		const answer = await worker.fetch(request, bindings, ctx);
		await waitOnExecutionContext(ctx);
		return answer;
	});
	const text = await response.text();
	return { status: response.status, body: text ? JSON.parse(text) : {}, ...observed };
}

/** The single `webhook` log line of a delivery. */
export function webhookLine(delivered: Delivered): Record<string, unknown> {
	const lines = delivered.logs.filter((line) => line.message === "webhook");
	if (lines.length !== 1) throw new Error(`expected one webhook log line, got ${lines.length}`);
	return lines[0] as Record<string, unknown>;
}

/** Sends the requests through the Worker all at once, with the console quiet; resolves to their statuses in order. */
export async function deliverAll(requests: Request[]): Promise<number[]> {
	const quiet = (["log", "warn", "error"] as const).map((level) =>
		vi.spyOn(console, level).mockImplementation(() => {}),
	);
	try {
		const responses = await Promise.all(requests.map((r) => worker.fetch(r, env, createExecutionContext())));
		return responses.map((r) => r.status);
	} finally {
		for (const spy of quiet) spy.mockRestore();
	}
}
