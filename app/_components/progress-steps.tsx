/**
 * A labelled progress bar with named stages (role="progressbar", the current
 * stage as visible text and as aria-valuetext).
 */
export function ProgressSteps({
  label,
  stages,
  current,
  value,
  text,
  failed = false,
  testId,
}: {
  label: string;
  stages: readonly string[];
  /** Index of the current stage (-1: none yet). */
  current: number;
  /** 0–100 */
  value: number;
  text: string;
  failed?: boolean;
  testId?: string;
}) {
  const now = Math.max(0, Math.min(100, Math.round(value)));
  return (
    <div className="space-y-3">
      <div className="flex items-baseline justify-between gap-4 text-sm">
        <p className={`font-medium ${failed ? "text-red-700" : "text-slate-900"}`} data-testid={testId ? `${testId}-stage` : undefined}>
          {text}
        </p>
        <p className="text-slate-500 tabular-nums">{now}%</p>
      </div>
      <div
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={now}
        aria-valuetext={`${text} (${now}%)`}
        data-testid={testId}
        className="h-2.5 w-full overflow-hidden rounded-full bg-slate-100"
      >
        <div className={`h-full rounded-full transition-[width] duration-300 ${failed ? "bg-red-500" : "bg-indigo-600"}`} style={{ width: `${now}%` }} />
      </div>
      <ol className="flex flex-wrap gap-x-4 gap-y-1 text-xs">
        {stages.map((s, i) => {
          const done = i < current || (i === current && now >= 100);
          const active = i === current && !done;
          return (
            <li key={s} aria-current={active ? "step" : undefined} className={`flex items-center gap-1.5 ${done ? "text-emerald-700" : active ? (failed ? "text-red-700" : "font-semibold text-indigo-700") : "text-slate-400"}`}>
              <span aria-hidden className={`grid size-4 place-items-center rounded-full text-[10px] ${done ? "bg-emerald-100" : active ? (failed ? "bg-red-100" : "bg-indigo-100") : "bg-slate-100"}`}>
                {done ? "✓" : i + 1}
              </span>
              {s}
            </li>
          );
        })}
      </ol>
    </div>
  );
}
