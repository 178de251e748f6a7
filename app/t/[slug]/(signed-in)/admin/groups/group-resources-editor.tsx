"use client";

import { useState } from "react";
import { Button } from "@/app/_components/button";
import { TextField } from "@/app/_components/field";
import { numberOrNull } from "@/lib/ui/format";
import type { Group } from "@/lib/ui/types";

export function GroupResourcesEditor({
  group,
  disabled,
  onSave,
}: {
  group: Group;
  disabled: boolean;
  onSave: (cpuMillis: number | null, memoryMiB: number | null) => Promise<boolean>;
}) {
  const [cpu, setCpu] = useState(String(group.cpuMillis));
  const [memory, setMemory] = useState(String(group.memoryMiB));
  return (
    <form
      className="flex flex-wrap items-end gap-2"
      aria-label={`Resources for ${group.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        void onSave(numberOrNull(cpu), numberOrNull(memory));
      }}
      noValidate
    >
      <TextField label={`CPU for ${group.name}`} hideLabel hint="CPU, millicores" type="number" inputMode="numeric" min={1} step={1} value={cpu} onChange={(e) => setCpu(e.target.value)} className="w-28" />
      <TextField label={`Memory for ${group.name}`} hideLabel hint="Memory, MiB" type="number" inputMode="numeric" min={1} step={1} value={memory} onChange={(e) => setMemory(e.target.value)} className="w-28" />
      <Button type="submit" size="sm" variant="secondary" disabled={disabled} className="mb-5">
        Save {group.name}
      </Button>
    </form>
  );
}
