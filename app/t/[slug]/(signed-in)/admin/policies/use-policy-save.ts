"use client";

import { useState } from "react";
import type { DisplayError } from "@/app/_components/alert";
import { api, toApiError } from "@/lib/ui/api-client";

/** PUT a policy; keeps the outcome (saved or the API's error) for the form to show. */
export function usePolicySave<T>(path: string) {
  const [error, setError] = useState<DisplayError | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  async function save(body: unknown): Promise<T | null> {
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const result = await api<T>("PUT", path, body);
      setSaved(true);
      return result;
    } catch (err) {
      setError(toApiError(err));
      return null;
    } finally {
      setBusy(false);
    }
  }

  return { error, saved, busy, save };
}
