/**
 * @module admin/dashboard/chart
 * Events per hour by status as a server-rendered SVG: one stacked bar per hour (UTC), a segment per
 * status, each with a <title> the browser shows on hover. Colours come from the page's stylesheet
 * (`.bar-<status>`), so the SVG needs no style attribute under the page's CSP.
 */
import type { WebhookEventStatus } from "../../db/schema";

/** One hour of the chart: its start and the events received in it per status. */
export interface HourCounts {
	hour: Date;
	counts: Record<WebhookEventStatus, number>;
}

/** Bottom to top: what went well first, what needs the operator last (on top, where the eye lands). */
export const chartStatuses: WebhookEventStatus[] = [
	"processed",
	"ignored",
	"received",
	"deferred",
	"unmatched",
	"failed",
	"dead",
];

const size = { width: 960, height: 260, left: 44, right: 12, top: 14, bottom: 34 };

/** A round axis maximum at or above `value` (1, 2 or 5 times a power of ten). */
export function niceCeiling(value: number): number {
	if (value <= 1) return 1;
	const power = 10 ** Math.floor(Math.log10(value));
	for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
	return 10 * power;
}

const hourLabel = (hour: Date) => `${String(hour.getUTCHours()).padStart(2, "0")}:00`;
const dayLabel = (hour: Date) => hour.toISOString().slice(5, 10);

/** The chart of `hours` (oldest first); an hour without events has no bar. */
export function EventsChart(props: { hours: HourCounts[]; title?: string }) {
	const { width, height, left, right, top, bottom } = size;
	const plotWidth = width - left - right;
	const plotHeight = height - top - bottom;
	const totals = props.hours.map((hour) => chartStatuses.reduce((sum, status) => sum + hour.counts[status], 0));
	const max = niceCeiling(Math.max(0, ...totals));
	const slot = plotWidth / Math.max(1, props.hours.length);
	const barWidth = Math.max(1, slot * 0.8);
	const y = (value: number) => top + plotHeight - (value / max) * plotHeight;
	// at most ~12 labels along the axis
	const every = Math.max(1, Math.ceil(props.hours.length / 12));
	const title = props.title ?? "Events per hour by status (UTC)";
	return (
		<svg
			class="chart"
			viewBox={`0 0 ${width} ${height}`}
			role="img"
			aria-label={title}
			xmlns="http://www.w3.org/2000/svg"
		>
			<title>{title}</title>
			{(max % 2 === 0 ? [0, max / 2, max] : [0, max]).map((value) => (
				<g>
					<line x1={left} x2={width - right} y1={y(value)} y2={y(value)} />
					<text x={left - 6} y={y(value) + 4} text-anchor="end">
						{value}
					</text>
				</g>
			))}
			{props.hours.map((hour, index) => {
				const x = left + index * slot + (slot - barWidth) / 2;
				let base = 0;
				return (
					<g>
						{chartStatuses.map((status) => {
							const count = hour.counts[status];
							if (count === 0) return null;
							const rect = (
								<rect
									class={`bar bar-${status}`}
									data-status={status}
									x={x.toFixed(1)}
									y={y(base + count).toFixed(1)}
									width={barWidth.toFixed(1)}
									height={((count / max) * plotHeight).toFixed(1)}
								>
									<title>{`${dayLabel(hour.hour)} ${hourLabel(hour.hour)} UTC: ${count} ${status}`}</title>
								</rect>
							);
							base += count;
							return rect;
						})}
						{index % every === 0 ? (
							<text x={(left + index * slot + slot / 2).toFixed(1)} y={height - bottom + 14} text-anchor="middle">
								{hourLabel(hour.hour)}
							</text>
						) : null}
						{index % every === 0 && (index === 0 || hour.hour.getUTCHours() < every) ? (
							<text x={(left + index * slot + slot / 2).toFixed(1)} y={height - bottom + 28} text-anchor="middle">
								{dayLabel(hour.hour)}
							</text>
						) : null}
					</g>
				);
			})}
		</svg>
	);
}

/** The colours of the chart, named. */
export function ChartLegend() {
	return (
		<p class="legend">
			{chartStatuses.map((status) => (
				<span>
					<svg viewBox="0 0 10 10" aria-hidden="true">
						<rect class={`bar-${status}`} width="10" height="10" />
					</svg>{" "}
					{status}
				</span>
			))}
		</p>
	);
}
