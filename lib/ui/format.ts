/** Display helpers for the browser (the user's own locale and time zone). */

let dateTime: Intl.DateTimeFormat | null = null;

export function formatDateTime(iso: string | Date | null | undefined): string {
  if (!iso) return "—";
  const d = typeof iso === "string" ? new Date(iso) : iso;
  if (Number.isNaN(d.getTime())) return "—";
  dateTime ??= new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
  return dateTime.format(d);
}

/** 5400 → "1 hour 30 minutes"; 90 → "1 minute 30 seconds". */
export function humanDuration(totalSeconds: number): string {
  if (!Number.isFinite(totalSeconds)) return "—";
  let s = Math.max(0, Math.round(totalSeconds));
  if (s === 0) return "0 seconds";
  const parts: string[] = [];
  for (const [unit, size] of [
    ["day", 86_400],
    ["hour", 3600],
    ["minute", 60],
    ["second", 1],
  ] as const) {
    const n = Math.floor(s / size);
    s -= n * size;
    if (n > 0) parts.push(`${n} ${unit}${n === 1 ? "" : "s"}`);
  }
  return parts.join(" ");
}

export function truncate(text: string | null | undefined, max: number): string {
  if (!text) return "—";
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The value of an <input type="number">, or null when empty or not a number. */
export function numberOrNull(value: string): number | null {
  if (value.trim() === "") return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}
