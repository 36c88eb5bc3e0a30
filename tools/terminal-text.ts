/**
 * @module tools/terminal-text
 * Text from outside (a webhook's event type, id or payload, an API's error message, a redirect's
 * Location) made safe to print on a terminal: every C0 control character (U+0000–U+001F), DEL and
 * every C1 control character (U+0080–U+009F) becomes the six characters `\u001b` (its JSON escape),
 * so that no escape sequence reaches the terminal (colours, cursor moves, a rewritten title, a
 * clipboard write through OSC 52, a line rewritten after a carriage return). Tab stays, and newline
 * stays where the output is several lines (a payload). Used by every human-readable output of the
 * events CLI (tools/events) and of `npm run dev` (tools/dev/log-lines.ts).
 * Trust boundary: the input is anyone's who can send a webhook; the output is for a person's terminal.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this finds
const controls = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this finds
const controlsButNewline = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const c1Controls = /[\u007f-\u009f]/g;

const escaped = (character: string) => `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`;

/**
 * `value` with its control characters written as `\u001b`-style text; tab is kept, and newline too
 * when `multiline` (a payload printed over several lines).
 */
export function terminalText(value: string, options: { multiline?: boolean } = {}): string {
	return value.replace(options.multiline ? controlsButNewline : controls, escaped);
}

/**
 * JSON text (JSON.stringify's, which escapes U+0000–U+001F but not DEL or U+0080–U+009F) with those
 * escaped too: still JSON, and it parses to the same value. Outside strings JSON has no such characters.
 */
export function terminalJson(json: string): string {
	return json.replace(c1Controls, escaped);
}
