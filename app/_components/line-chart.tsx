import { Axes, CHART, sample, xTicks, yScale } from "@/app/_components/chart-axes";

/** A line chart of a numeric series (nulls break the line). Pure SVG. */
export function LineChart({ values, label, testId }: { values: readonly (number | null)[]; label: string; testId?: string }) {
  const points = sample(values, 1000);
  const scale = yScale(values);
  const plotW = CHART.width - CHART.left - CHART.right;
  const x = (i: number) => CHART.left + (values.length <= 1 ? plotW / 2 : (i / (values.length - 1)) * plotW);

  const segments: string[] = [];
  let current = "";
  for (const p of points) {
    if (p.value === null) {
      if (current) segments.push(current);
      current = "";
      continue;
    }
    current += `${current ? "L" : "M"}${x(p.index).toFixed(1)},${scale.y(p.value).toFixed(1)}`;
  }
  if (current) segments.push(current);

  return (
    <svg viewBox={`0 0 ${CHART.width} ${CHART.height}`} role="img" aria-label={label} data-testid={testId} data-kind="line" data-points={values.length} className="h-auto w-full">
      <title>{label}</title>
      <Axes scale={scale} xLabels={xTicks(values.length).map((i) => ({ x: x(i), label: String(i) }))} />
      {segments.map((d, i) => (
        <path key={i} d={d} fill="none" stroke="#4f46e5" strokeWidth={2} strokeLinejoin="round" strokeLinecap="round" />
      ))}
      {points.length <= 60
        ? points.map((p) => (p.value === null ? null : <circle key={p.index} cx={x(p.index)} cy={scale.y(p.value)} r={3} fill="#4f46e5" />))
        : null}
    </svg>
  );
}
