import { useId, type FormEvent, type ReactNode } from "react";

export function PageHeader({ title, description, children }: { title: string; description?: ReactNode; children?: ReactNode }) {
  return (
    <div className="mb-6 flex flex-wrap items-end justify-between gap-4">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight text-slate-900">{title}</h1>
        {description ? <p className="mt-1 text-sm text-slate-600">{description}</p> : null}
      </div>
      {children}
    </div>
  );
}

export function Card({ title, description, children, className = "" }: { title?: string; description?: ReactNode; children: ReactNode; className?: string }) {
  const id = useId();
  return (
    <section aria-labelledby={title ? id : undefined} className={`rounded-xl border border-slate-200 bg-white p-6 shadow-sm ${className}`}>
      {title ? (
        <h2 id={id} className="text-base font-semibold text-slate-900">
          {title}
        </h2>
      ) : null}
      {description ? <p className="mt-1 text-sm text-slate-600">{description}</p> : null}
      <div className={title || description ? "mt-4" : ""}>{children}</div>
    </section>
  );
}

/** A card that is one form; the form is named by the card's heading. */
export function FormCard({
  title,
  description,
  onSubmit,
  children,
  className = "",
}: {
  title: string;
  description?: ReactNode;
  onSubmit: (e: FormEvent<HTMLFormElement>) => void;
  children: ReactNode;
  className?: string;
}) {
  const id = useId();
  return (
    <section aria-labelledby={id} className={`rounded-xl border border-slate-200 bg-white p-6 shadow-sm ${className}`}>
      <h2 id={id} className="text-base font-semibold text-slate-900">
        {title}
      </h2>
      {description ? <p className="mt-1 text-sm text-slate-600">{description}</p> : null}
      <form aria-labelledby={id} onSubmit={onSubmit} className="mt-4 space-y-4" noValidate>
        {children}
      </form>
    </section>
  );
}
