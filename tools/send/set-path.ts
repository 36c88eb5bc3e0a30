/**
 * `--set a.b.0.c=value` for the send CLI: writes a value at a dotted path in a payload. The value is
 * read as JSON when it parses (numbers, true, null, objects), otherwise taken as a string.
 */

export function parseAssignment(assignment: string): [path: string[], value: unknown] {
	const equals = assignment.indexOf("=");
	if (equals <= 0) throw new Error(`--set expects path=value, got "${assignment}"`);
	const raw = assignment.slice(equals + 1);
	let value: unknown = raw;
	try {
		value = JSON.parse(raw);
	} catch {
		// not JSON: keep the text
	}
	return [assignment.slice(0, equals).split("."), value];
}

export function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
	let node: Record<string, unknown> = target;
	for (const [index, key] of path.entries()) {
		if (index === path.length - 1) {
			node[key] = value;
			return;
		}
		const next = node[key];
		if (typeof next !== "object" || next === null) node[key] = /^\d+$/.test(path[index + 1] ?? "") ? [] : {};
		node = node[key] as Record<string, unknown>;
	}
}
