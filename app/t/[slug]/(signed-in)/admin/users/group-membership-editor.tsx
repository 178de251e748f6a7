"use client";

import { useState } from "react";
import { Button } from "@/app/_components/button";
import { CheckboxField } from "@/app/_components/field";
import type { Group, User } from "@/lib/ui/types";

/** Checkboxes for a user's groups, saved together (PATCH groupIds). */
export function GroupMembershipEditor({
  user,
  groups,
  disabled,
  onSave,
}: {
  user: User;
  groups: readonly Group[];
  disabled: boolean;
  onSave: (groupIds: string[]) => Promise<void>;
}) {
  const [selected, setSelected] = useState<ReadonlySet<string>>(() => new Set(user.groups.map((g) => g.id)));
  return (
    <details className="group text-sm">
      <summary className="cursor-pointer rounded text-indigo-700 hover:text-indigo-900 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600">
        Groups for {user.email}
      </summary>
      <fieldset className="mt-2 space-y-2 rounded-lg border border-slate-200 p-3">
        <legend className="sr-only">Groups for {user.email}</legend>
        {groups.length === 0 ? <p className="text-xs text-slate-500">No groups yet. Create one on the Groups page.</p> : null}
        {groups.map((g) => (
          <CheckboxField
            key={g.id}
            label={g.name}
            checked={selected.has(g.id)}
            onChange={(e) => {
              const next = new Set(selected);
              if (e.target.checked) next.add(g.id);
              else next.delete(g.id);
              setSelected(next);
            }}
          />
        ))}
        <Button size="sm" disabled={disabled} onClick={() => void onSave([...selected])}>
          Save groups
        </Button>
      </fieldset>
    </details>
  );
}
