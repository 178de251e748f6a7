"use client";

import { Button } from "@/app/_components/button";
import { inputClasses } from "@/app/_components/field";
import { NODE_ID_PATTERN } from "@/engine/protocol";

export interface NodeRow {
  key: number;
  id: string;
  title: string;
  formula: string;
}

let nextKey = 1;
export function nodeRow(n?: { id: string; title: string; formula: string }): NodeRow {
  return { key: nextKey++, id: n?.id ?? "", title: n?.title ?? "", formula: n?.formula ?? "" };
}

/** Problems the server would refuse anyway, shown before sending. */
export function nodeRowProblems(rows: readonly NodeRow[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  rows.forEach((r, i) => {
    const n = i + 1;
    if (!r.id.trim()) problems.push(`Node ${n}: the id is required.`);
    else if (!NODE_ID_PATTERN.test(r.id.trim())) problems.push(`Node ${n}: the id "${r.id}" must start with a letter or _ and contain only letters, digits and _ (at most 64).`);
    else if (seen.has(r.id.trim())) problems.push(`Node ${n}: the id "${r.id}" is used twice.`);
    seen.add(r.id.trim());
    if (!r.formula.trim()) problems.push(`Node ${n}: the formula is required.`);
  });
  return problems;
}

export function rowsToNodes(rows: readonly NodeRow[]) {
  return rows.map((r) => ({ id: r.id.trim(), title: r.title.trim() || r.id.trim(), formula: r.formula }));
}

/** Rows of Id / Title / Formula, with "Add node" and a remove button per row. */
export function NodeRowsEditor({ rows, onChange, disabled, idPrefix }: { rows: readonly NodeRow[]; onChange: (rows: NodeRow[]) => void; disabled?: boolean; idPrefix: string }) {
  function update(key: number, patch: Partial<NodeRow>) {
    onChange(rows.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  }
  return (
    <fieldset className="space-y-2" disabled={disabled}>
      <legend className="mb-1 text-sm font-medium text-slate-700">Nodes</legend>
      <div className="hidden grid-cols-[10rem_12rem_1fr_auto] gap-2 text-xs font-semibold tracking-wide text-slate-500 uppercase sm:grid">
        <span>Id</span>
        <span>Title</span>
        <span>Formula</span>
        <span className="sr-only">Actions</span>
      </div>
      {rows.length === 0 ? <p className="text-sm text-slate-500">No nodes yet.</p> : null}
      <ol className="space-y-2">
        {rows.map((r, i) => {
          const n = i + 1;
          const base = `${idPrefix}-node-${r.key}`;
          return (
            <li key={r.key} className="grid gap-2 sm:grid-cols-[10rem_12rem_1fr_auto] sm:items-start">
              <label htmlFor={`${base}-id`} className="sr-only">
                Id of node {n}
              </label>
              <input id={`${base}-id`} className={`${inputClasses} font-mono`} autoComplete="off" spellCheck={false} placeholder="id" value={r.id} onChange={(e) => update(r.key, { id: e.target.value })} />
              <label htmlFor={`${base}-title`} className="sr-only">
                Title of node {n}
              </label>
              <input id={`${base}-title`} className={inputClasses} autoComplete="off" placeholder="Title" value={r.title} onChange={(e) => update(r.key, { title: e.target.value })} />
              <label htmlFor={`${base}-formula`} className="sr-only">
                Formula of node {n}
              </label>
              <textarea
                id={`${base}-formula`}
                className={`${inputClasses} font-mono text-xs`}
                rows={Math.min(6, Math.max(1, r.formula.split("\n").length))}
                spellCheck={false}
                placeholder="e.g. sales.map(s => s * 1.1)"
                value={r.formula}
                onChange={(e) => update(r.key, { formula: e.target.value })}
              />
              <Button size="sm" variant="ghost" aria-label={`Remove node ${n}`} onClick={() => onChange(rows.filter((x) => x.key !== r.key))}>
                Remove
              </Button>
            </li>
          );
        })}
      </ol>
      <Button size="sm" variant="secondary" onClick={() => onChange([...rows, nodeRow()])}>
        Add node
      </Button>
    </fieldset>
  );
}
