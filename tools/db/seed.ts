/**
 * `npm run db:seed`: demo rows for trying every `npm run send` example against `npm run dev`: users,
 * a subscription, the orders the send templates aim at and one order in each status (the rows:
 * tools/db/demo-rows.ts), and shipped orders with their parcels' tracking numbers, one recorded 2
 * minutes late (tools/db/demo-shipments.ts). Re-running resets them. Writes through the running dev server's bridge,
 * found as every tool finds it (tools/ports.ts), so it works for the embedded database as for a
 * real one.
 */
import { errorLine, parseCommandLine } from "../cli.ts";
import { describePortOptions, portOptions, portsFromCommandLine } from "../ports.ts";
import { demoOrders, exampleOrders, seedStatements } from "./demo-rows.ts";
import { demoShipments, lateShipment, shipmentStatements } from "./demo-shipments.ts";

const usage = `usage: npm run db:seed [-- options]

Writes demo users, subscription sub_demo_1, the orders the npm run send examples use (order_demo_1…6
pending, order_demo_7 paid) and one order in each status (order_demo_<status>) through the bridge
of the running npm run dev (re-running resets them), and the shipped orders of
npm run send -- shipping … (order_shipping_demo_1…3 paid, with a shipment each; ship_demo_late is
recorded 2 minutes after the seed, to watch an early tracking event be retried).

options:
${describePortOptions(["port", "bridge-port"])}
  -h, --help        this help`;

const { values } = parseCommandLine({
	usage,
	options: { port: portOptions.port, "bridge-port": portOptions["bridge-port"] },
});
const bridge = `http://127.0.0.1:${portsFromCommandLine(values, usage).bridgePort}/sql`;

const now = Date.now();
const statements = [...seedStatements(now), ...shipmentStatements(now)];

let response: Response;
try {
	response = await fetch(bridge, {
		method: "POST",
		headers: { "neon-batch-isolation-level": "ReadCommitted" },
		body: JSON.stringify({ queries: statements }),
		signal: AbortSignal.timeout(30_000),
	});
} catch (error) {
	console.error(
		`could not seed: nothing answers at ${bridge} (${errorLine(error)}): start npm run dev, or pass the --port (PORT) or --bridge-port (BRIDGE_PORT) of the one running`,
	);
	process.exit(1);
}
if (!response.ok) {
	const text = await response.text();
	// The bridge answers a database error as Neon does: JSON with its message.
	let reason = text;
	try {
		reason = (JSON.parse(text) as { message?: string }).message ?? text;
	} catch {
		// not JSON: keep the text
	}
	console.error(`could not seed through ${bridge}: it answered ${response.status} ${reason.split("\n")[0]}`);
	process.exit(1);
}
const statuses = demoOrders(0)
	.slice(exampleOrders)
	.map((order) => order.shipping_status ?? order.payment_status)
	.join(", ");
console.log(
	`seeded: users user_demo_ada, user_demo_grace; subscription sub_demo_1; orders order_demo_1…${exampleOrders - 1} (pending) and order_demo_${exampleOrders} (paid) for the npm run send examples; one order_demo_<status> for each status: ${statuses}`,
);
const parcels = demoShipments
	.filter((shipment) => shipment !== lateShipment)
	.map((shipment) => `${shipment.orderId} (${shipment.carrier} ${shipment.trackingNumber})`)
	.join(", ");
console.log(
	`shipped, paid: ${parcels}; ${lateShipment.orderId}'s parcel ${lateShipment.carrier} ${lateShipment.trackingNumber} is recorded in ${lateShipment.recordedInMinutes} minutes: npm run send -- shipping delivered --tracking ${lateShipment.trackingNumber} is deferred, then retried until it applies`,
);
