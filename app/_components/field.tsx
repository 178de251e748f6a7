import { useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes } from "react";

export const inputClasses =
  "block w-full rounded-lg border-0 bg-white px-3 py-2 text-sm text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 placeholder:text-slate-400 focus:ring-2 focus:ring-inset focus:ring-indigo-600 focus:outline-none disabled:bg-slate-50 disabled:text-slate-500";

interface LabelProps {
  label: string;
  /** Keep the label for assistive technology but don't show it (dense table rows). */
  hideLabel?: boolean;
  hint?: ReactNode;
}

function Hint({ id, children }: { id: string; children: ReactNode }) {
  return (
    <p id={id} className="mt-1 text-xs text-slate-500">
      {children}
    </p>
  );
}

export function TextField({ label, hideLabel, hint, className = "", ...input }: LabelProps & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  const hintId = `${id}-hint`;
  return (
    <div className={className}>
      <label htmlFor={id} className={hideLabel ? "sr-only" : "mb-1 block text-sm font-medium text-slate-700"}>
        {label}
      </label>
      <input id={id} aria-describedby={hint ? hintId : undefined} className={inputClasses} {...input} />
      {hint ? <Hint id={hintId}>{hint}</Hint> : null}
    </div>
  );
}

/** A whole-number input (number keypad, steps of 1); required unless told otherwise. */
export function WholeNumberField(props: LabelProps & Omit<InputHTMLAttributes<HTMLInputElement>, "type" | "inputMode" | "step">) {
  return <TextField type="number" inputMode="numeric" step={1} required {...props} />;
}

export function SelectField({
  label,
  hideLabel,
  hint,
  options,
  className = "",
  ...select
}: LabelProps & SelectHTMLAttributes<HTMLSelectElement> & { options: readonly { value: string; label: string }[] }) {
  const id = useId();
  const hintId = `${id}-hint`;
  return (
    <div className={className}>
      <label htmlFor={id} className={hideLabel ? "sr-only" : "mb-1 block text-sm font-medium text-slate-700"}>
        {label}
      </label>
      <select id={id} aria-describedby={hint ? hintId : undefined} className={`${inputClasses} pr-8`} {...select}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {hint ? <Hint id={hintId}>{hint}</Hint> : null}
    </div>
  );
}

export function CheckboxField({ label, hint, className = "", ...input }: Omit<LabelProps, "hideLabel"> & Omit<InputHTMLAttributes<HTMLInputElement>, "type">) {
  const id = useId();
  const hintId = `${id}-hint`;
  return (
    <div className={`flex items-start gap-2 ${className}`}>
      <input
        id={id}
        type="checkbox"
        aria-describedby={hint ? hintId : undefined}
        className="mt-0.5 size-4 rounded border-slate-300 accent-indigo-600 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
        {...input}
      />
      <div>
        <label htmlFor={id} className="text-sm text-slate-800">
          {label}
        </label>
        {hint ? <Hint id={hintId}>{hint}</Hint> : null}
      </div>
    </div>
  );
}
