/**
 * Shared scaffolding of the SVG charts (no chart library: the CSP allows only
 * Atrium's own scripts): scales, "nice" ticks, axes and down-sampling.
 */

export const CHART = { width: 640, height: 260, left: 56, right: 16, top: 16, bottom: 32 } as const;

export interface Scale {
  min: number;
  max: number;
  ticks: number[];
  y: (v: number) => number;
}

/** A step of 1, 2 or 5 × 10^k giving about `count` ticks. */
function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
}

/** A y scale over the finite values (including 0 when `withZero`). */
export function yScale(values: readonly (number | null)[], withZero = false): Scale {
  const finite = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  let lo = finite.length ? Math.min(...finite) : 0;
  let hi = finite.length ? Math.max(...finite) : 1;
  if (withZero) {
    lo = Math.min(lo, 0);
    hi = Math.max(hi, 0);
  }
  if (lo === hi) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep(hi - lo, 4);
  const min = Math.floor(lo / step) * step;
  const max = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  for (let t = min; t <= max + step / 2; t += step) ticks.push(Number(t.toPrecision(12)));
  const plotH = CHART.height - CHART.top - CHART.bottom;
  return { min, max, ticks, y: (v) => CHART.top + plotH - ((v - min) / (max - min)) * plotH };
}

export function formatTick(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toLocaleString(undefined, { maximumFractionDigits: 1 })}G`;
  if (a >= 1e6) return `${(v / 1e6).toLocaleString(undefined, { maximumFractionDigits: 1 })}M`;
  if (a >= 1e4) return `${(v / 1e3).toLocaleString(undefined, { maximumFractionDigits: 1 })}k`;
  return v.toLocaleString(undefined, { maximumFractionDigits: 4 });
}

/** At most `max` points: every k-th value (the index of each kept point is returned with it). */
export function sample(values: readonly (number | null)[], max: number): { index: number; value: number | null }[] {
  const step = Math.max(1, Math.ceil(values.length / max));
  const out: { index: number; value: number | null }[] = [];
  for (let i = 0; i < values.length; i += step) out.push({ index: i, value: values[i] ?? null });
  return out;
}

/** A few x-axis labels (indexes), first and last included. */
export function xTicks(length: number, count = 6): number[] {
  if (length <= 1) return [0];
  const step = Math.max(1, Math.ceil((length - 1) / (count - 1)));
  const ticks: number[] = [];
  for (let i = 0; i < length - 1; i += step) ticks.push(i);
  ticks.push(length - 1);
  return ticks.filter((t, i, a) => i === a.length - 1 || a[a.length - 1]! - t >= step / 2);
}

export function Axes({ scale, xLabels }: { scale: Scale; xLabels: { x: number; label: string }[] }) {
  const right = CHART.width - CHART.right;
  const bottom = CHART.height - CHART.bottom;
  return (
    <g aria-hidden className="text-slate-500">
      {scale.ticks.map((t) => (
        <g key={t}>
          <line x1={CHART.left} x2={right} y1={scale.y(t)} y2={scale.y(t)} stroke="currentColor" strokeOpacity={t === 0 ? 0.5 : 0.15} />
          <text x={CHART.left - 8} y={scale.y(t)} textAnchor="end" dominantBaseline="middle" fontSize={11} fill="currentColor">
            {formatTick(t)}
          </text>
        </g>
      ))}
      <line x1={CHART.left} x2={right} y1={bottom} y2={bottom} stroke="currentColor" strokeOpacity={0.4} />
      {xLabels.map((l) => (
        <text key={`${l.x}-${l.label}`} x={l.x} y={bottom + 18} textAnchor="middle" fontSize={11} fill="currentColor">
          {l.label}
        </text>
      ))}
    </g>
  );
}

/** Only numbers and nulls: something the charts can draw. */
export function numericSeries(value: unknown): (number | null)[] | null {
  if (!Array.isArray(value) || value.length === 0) return null;
  const out: (number | null)[] = [];
  let numbers = 0;
  for (const v of value) {
    if (v === null) out.push(null);
    else if (typeof v === "number" && Number.isFinite(v)) {
      out.push(v);
      numbers++;
    } else return null;
  }
  return numbers > 0 ? out : null;
}
