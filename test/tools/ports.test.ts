/** tools/ports.ts: one resolution of the local ports for every tool, and the free-port probes. */
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { findFreePorts, PortError, portProblem, resolvePorts } from "../../tools/ports.ts";

describe("resolvePorts", () => {
	it.each([
		["the defaults", {}, {}, undefined, [8787, 8788, 8789]],
		["a free default for tools that start their own server", {}, {}, 40000, [40000, 40001, 40002]],
		["PORT, the others derived from it", {}, { PORT: "8797" }, undefined, [8797, 8798, 8799]],
		["--port over PORT", { port: "9000" }, { PORT: "8797" }, undefined, [9000, 9001, 9002]],
		["--port over a default", { port: "9000" }, {}, 40000, [9000, 9001, 9002]],
		["BRIDGE_PORT alone", {}, { BRIDGE_PORT: "5488" }, undefined, [8787, 5488, 8789]],
		[
			"--bridge-port over BRIDGE_PORT",
			{ "bridge-port": "6000" },
			{ BRIDGE_PORT: "5488" },
			undefined,
			[8787, 6000, 8789],
		],
		[
			"--pglite-port over PGLITE_PORT",
			{ "pglite-port": "6001" },
			{ PGLITE_PORT: "5432" },
			undefined,
			[8787, 8788, 6001],
		],
		["an empty variable as unset", {}, { PORT: "", BRIDGE_PORT: "" }, undefined, [8787, 8788, 8789]],
		["all three given", { port: "1", "bridge-port": "2" }, { PGLITE_PORT: "65535" }, undefined, [1, 2, 65535]],
	] as const)("%s", (_, flags, env, defaultPort, [port, bridgePort, pglitePort]) => {
		expect(resolvePorts(flags, env, defaultPort)).toEqual({ port, bridgePort, pglitePort });
	});

	it.each([
		[{ port: "0" }, {}, '--port must be a port number from 1 to 65535, not "0"'],
		[{ port: "65536" }, {}, '--port must be a port number from 1 to 65535, not "65536"'],
		[{ port: "80a" }, {}, '--port must be a port number from 1 to 65535, not "80a"'],
		[{ port: "" }, {}, '--port must be a port number from 1 to 65535, not ""'],
		[{ port: "-1" }, {}, '--port must be a port number from 1 to 65535, not "-1"'],
		[{}, { PORT: "8787.5" }, 'PORT must be a port number from 1 to 65535, not "8787.5"'],
		[{}, { BRIDGE_PORT: "bridge" }, 'BRIDGE_PORT must be a port number from 1 to 65535, not "bridge"'],
		[{ "pglite-port": "1e3" }, {}, '--pglite-port must be a port number from 1 to 65535, not "1e3"'],
		[
			{ port: "65535" },
			{},
			"--port 65535 leaves no room for the bridge (port + 1 = 65536): pass a lower port or --bridge-port",
		],
		[
			{},
			{ PORT: "65534" },
			"PORT=65534 leaves no room for PGlite (port + 2 = 65536): pass a lower port or --pglite-port",
		],
		[
			{ "bridge-port": "8789" },
			{},
			"the bridge (--bridge-port 8789) and PGlite (port + 2) would share port 8789: give PGlite its own with --pglite-port",
		],
		[
			{ port: "9000" },
			{ BRIDGE_PORT: "9000" },
			"wrangler dev (--port 9000) and the bridge (BRIDGE_PORT=9000) would share port 9000: give the bridge its own with --bridge-port",
		],
	])("refuses %j with env %j", (flags, env, message) => {
		expect(() => resolvePorts(flags, env)).toThrow(new PortError(message));
	});

	it("refuses a bad PGLITE_PORT even when only --port was given", () => {
		expect(() => resolvePorts({ port: "9000" }, { PGLITE_PORT: "x" })).toThrow(PortError);
	});
});

describe("port probes", () => {
	it("portProblem tells a port in use from a free one", async () => {
		const server = createServer();
		await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
		const { port } = server.address() as { port: number };
		expect(await portProblem(port)).toBe("in use");
		await new Promise((resolve) => server.close(resolve));
		expect(await portProblem(port)).toBeUndefined();
	});

	it("findFreePorts returns the first of three free consecutive ports", async () => {
		const base = await findFreePorts();
		expect(base + 2).toBeLessThanOrEqual(65535);
		for (const port of [base, base + 1, base + 2]) expect(await portProblem(port)).toBeUndefined();
	});
});
