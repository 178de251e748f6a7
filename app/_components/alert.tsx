import type { ReactNode } from "react";

export interface DisplayError {
  message: string;
  issues?: readonly { field: string; message: string }[];
}

/**
 * Error text for assistive technology (role="alert"); every field issue is listed.
 * The API's headline names the field for scripts ("idleTimeoutSeconds: …"); people
 * see the issue's own sentence instead.
 */
export function ErrorAlert({ error, className = "" }: { error: DisplayError | null | undefined; className?: string }) {
  if (!error) return null;
  const all = (error.issues ?? []).filter((i) => i.message);
  const headline = all[0]?.message ?? error.message;
  const issues = all.slice(1).filter((i) => i.message !== headline);
  return (
    <div role="alert" className={`rounded-lg border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800 ${className}`}>
      <p className="font-medium">{headline}</p>
      {issues.length > 0 ? (
        <ul className="mt-2 list-disc space-y-1 pl-5">
          {issues.map((i, n) => (
            <li key={`${i.field}-${n}`}>{i.message}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** A confirmation (role="status"). */
export function StatusMessage({ children, className = "" }: { children: ReactNode; className?: string }) {
  return (
    <div role="status" className={`rounded-lg border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm text-emerald-900 ${className}`}>
      {children}
    </div>
  );
}

/** A neutral note (no live region). */
export function Note({ children, className = "" }: { children: ReactNode; className?: string }) {
  return <div className={`rounded-lg border border-slate-200 bg-slate-50 px-4 py-3 text-sm text-slate-700 ${className}`}>{children}</div>;
}
