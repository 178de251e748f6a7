"use client";

import { useState } from "react";
import type { DisplayError } from "@/app/_components/alert";
import { api, toApiError, type HttpMethod } from "@/lib/ui/api-client";

/** One card's API calls: the outcome (a status line or the API's error) stays with the card that caused it. */
export function useSsoAction(onDone: (result: unknown) => void) {
  const [error, setError] = useState<DisplayError | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function run(method: HttpMethod, path: string, body: unknown, success: string): Promise<boolean> {
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      const result = await api<unknown>(method, path, body);
      onDone(result);
      setStatus(success);
      return true;
    } catch (err) {
      setError(toApiError(err));
      return false;
    } finally {
      setBusy(false);
    }
  }

  return { error, status, busy, run };
}
