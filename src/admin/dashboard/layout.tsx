/**
 * @module admin/dashboard/layout
 * The page every dashboard view is drawn in: the navigation, the log-out form and the one small
 * stylesheet. Plain HTML, no script: every action is a link or a form. The stylesheet is an inline
 * `<style>` carrying the request's CSP nonce (secureHeaders' NONCE), so the policy allows it and no
 * other style or script. Trust boundary: pages receive only values Hono's JSX escapes.
 */
import type { Child } from "hono/jsx";

/** The dashboard's pages, as the navigation lists them. */
export const pages = {
	events: { href: "/admin/events", label: "Events" },
	failures: { href: "/admin/failures", label: "Failures" },
	replay: { href: "/admin/replay", label: "Bulk replay" },
	recovery: { href: "/admin/recovery", label: "Recovery" },
	stats: { href: "/admin/stats", label: "Stats" },
} as const;
export type PageName = keyof typeof pages;

const css = `
:root{color-scheme:light dark;--fg:#1d2330;--muted:#667085;--line:#d0d5dd;--bg:#fff;--panel:#f6f7f9;--accent:#2f5bd3}
@media (prefers-color-scheme:dark){:root{--fg:#e4e7ec;--muted:#98a2b3;--line:#344054;--bg:#101418;--panel:#1a2029;--accent:#84a9ff}}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;align-items:center;gap:1.5rem;padding:.6rem 1.2rem;border-bottom:1px solid var(--line);background:var(--panel)}
header strong{font-size:15px}
nav{display:flex;gap:1rem;flex:1}
nav a{color:var(--fg);text-decoration:none;padding:.2rem 0;border-bottom:2px solid transparent}
nav a[aria-current=page]{border-color:var(--accent);font-weight:600}
main{padding:1rem 1.2rem;max-width:1200px}
h1{font-size:20px;margin:.2rem 0 1rem}
h2{font-size:16px;margin:1.5rem 0 .5rem}
a{color:var(--accent)}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted)}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
code,pre{font:12.5px/1.4 ui-monospace,monospace}
pre{background:var(--panel);border:1px solid var(--line);padding:.8rem;overflow:auto}
form.filters,form.inline{display:flex;flex-wrap:wrap;gap:.6rem;align-items:flex-end;margin:0 0 1rem}
form.inline{margin:0}
label{display:flex;flex-direction:column;gap:.15rem;font-size:12px;color:var(--muted)}
label.check{flex-direction:row;align-items:center;color:var(--fg);font-size:14px}
fieldset{border:1px solid var(--line);display:flex;gap:.8rem;padding:.3rem .6rem}
legend{font-size:12px;color:var(--muted)}
input,select,button{font:inherit;padding:.3rem .5rem;border:1px solid var(--line);border-radius:4px;background:var(--bg);color:var(--fg)}
button{cursor:pointer;background:var(--accent);border-color:var(--accent);color:#fff}
button.quiet{background:transparent;color:var(--fg);border-color:var(--line)}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}
dt{color:var(--muted)}
dd{margin:0}
.status{display:inline-block;padding:0 .45rem;border-radius:9px;font-size:12px;background:var(--panel);border:1px solid var(--line)}
.status-processed{color:#067647}.status-failed,.status-dead{color:#b42318}.status-unmatched,.status-deferred{color:#b54708}
.notice{padding:.6rem .8rem;border:1px solid var(--line);border-left:4px solid var(--accent);background:var(--panel);margin:0 0 1rem}
.notice.error{border-left-color:#d92d20}
.muted{color:var(--muted)}
.error-text{max-width:28rem;overflow-wrap:anywhere}
.pager{margin-top:1rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(22rem,1fr));gap:1rem}
.cards section{border:1px solid var(--line);padding:0 .9rem .9rem;background:var(--panel)}
svg.chart{width:100%;max-width:960px;height:auto;border:1px solid var(--line);background:var(--bg)}
svg.chart text{font:11px system-ui,sans-serif;fill:var(--muted)}
svg.chart line{stroke:var(--line)}
.bar-received{fill:#98a2b3}.bar-processed{fill:#12b76a}.bar-ignored{fill:#b9c0cc}.bar-unmatched{fill:#f79009}
.bar-failed{fill:#f04438}.bar-dead{fill:#912018}.bar-deferred{fill:#fdb022}
.legend{display:flex;flex-wrap:wrap;gap:.8rem;margin:.4rem 0;font-size:12px}
.legend svg{width:10px;height:10px;vertical-align:middle}
main.narrow{max-width:26rem;margin:3rem auto}
main.narrow form{display:flex;flex-direction:column;gap:.8rem}
`;

/**
 * A page of the dashboard; `current` is underlined in the navigation (none: a page outside the
 * session, without navigation, `narrow`ed like the log-in). `nonce` is the request's CSP nonce.
 */
export function Layout(props: {
	title: string;
	nonce: string | undefined;
	current?: PageName;
	narrow?: boolean;
	children?: Child;
}) {
	return (
		<html lang="en">
			<head>
				<meta charset="utf-8" />
				<meta name="viewport" content="width=device-width, initial-scale=1" />
				<meta name="referrer" content="no-referrer" />
				<title>{`${props.title} · shop-webhooks admin`}</title>
				{/* a constant: Hono's JSX would escape `>` in a selector, which a <style> does not unescape */}
				<style nonce={props.nonce} dangerouslySetInnerHTML={{ __html: css }} />
			</head>
			<body>
				<header>
					<strong>shop-webhooks</strong>
					{props.current === undefined ? null : (
						<>
							<nav>
								{Object.entries(pages).map(([name, page]) => (
									<a href={page.href} aria-current={name === props.current ? "page" : undefined}>
										{page.label}
									</a>
								))}
							</nav>
							<form method="post" action="/admin/logout" class="inline">
								<button type="submit" class="quiet">
									Log out
								</button>
							</form>
						</>
					)}
				</header>
				<main class={props.narrow ? "narrow" : undefined}>
					<h1>{props.title}</h1>
					{props.children}
				</main>
			</body>
		</html>
	);
}

/** A notice above a page's content (the outcome of a replay, a refused login). */
export function Notice(props: { kind?: "info" | "error"; children?: Child }) {
	return (
		<p class={props.kind === "error" ? "notice error" : "notice"} role={props.kind === "error" ? "alert" : "status"}>
			{props.children}
		</p>
	);
}

/** A ledger status as a badge (its class colours it). */
export function Status(props: { status: string }) {
	return <span class={`status status-${props.status}`}>{props.status}</span>;
}

/** An instant as UTC, `2026-11-02 14:03:07`; an em dash when there is none. */
export function formatInstant(value: Date | string | null | undefined): string {
	if (value === null || value === undefined) return "—";
	const date = value instanceof Date ? value : new Date(value);
	if (Number.isNaN(date.getTime())) return "—";
	return date.toISOString().slice(0, 19).replace("T", " ");
}
