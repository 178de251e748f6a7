import { Axes, CHART, sample, xTicks, yScale } from "@/app/_components/chart-axes";

/** A bar chart of a numeric series (bars start at zero). Pure SVG. */
export function BarChart({ values, label, testId }: { values: readonly (number | null)[]; label: string; testId?: string }) {
  const bars = sample(values, 200);
  const scale = yScale(values, true);
  const plotW = CHART.width - CHART.left - CHART.right;
  const slot = plotW / Math.max(1, bars.length);
  const barW = Math.max(1, slot * 0.7);
  const zero = scale.y(0);
  const center = (n: number) => CHART.left + slot * n + slot / 2;
  const byIndex = new Map(bars.map((b, n) => [b.index, n]));

  return (
    <svg viewBox={`0 0 ${CHART.width} ${CHART.height}`} role="img" aria-label={label} data-testid={testId} data-kind="bar" data-points={values.length} className="h-auto w-full">
      <title>{label}</title>
      <Axes
        scale={scale}
        xLabels={xTicks(values.length)
          .map((i) => ({ n: byIndex.get(i) ?? Math.min(bars.length - 1, Math.round(i / Math.max(1, Math.ceil(values.length / 200)))), i }))
          .map(({ n, i }) => ({ x: center(n), label: String(i) }))}
      />
      {bars.map((b, n) => {
        if (b.value === null) return null;
        const y = scale.y(b.value);
        return <rect key={b.index} x={center(n) - barW / 2} y={Math.min(y, zero)} width={barW} height={Math.max(1, Math.abs(zero - y))} rx={1.5} fill={b.value < 0 ? "#e11d48" : "#4f46e5"} />;
      })}
    </svg>
  );
}
