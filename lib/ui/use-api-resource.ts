"use client";

import { useCallback, useEffect, useState } from "react";
import { api, toApiError, type ApiError } from "@/lib/ui/api-client";

interface Loaded<T> {
  key: string;
  data: T | null;
  error: ApiError | null;
}

/**
 * GET `path` (null = don't) and keep the answer. `reload()` fetches again; the
 * previous data stays on screen meanwhile.
 */
export function useApiResource<T>(path: string | null): { data: T | null; error: ApiError | null; loading: boolean; reload: () => void } {
  const [version, setVersion] = useState(0);
  const [result, setResult] = useState<Loaded<T> | null>(null);
  const key = `${path ?? ""}#${version}`;

  useEffect(() => {
    if (!path) return;
    let active = true;
    api<T>("GET", path).then(
      (data) => {
        if (active) setResult({ key, data, error: null });
      },
      (error: unknown) => {
        if (active) setResult((prev) => ({ key, data: prev?.data ?? null, error: toApiError(error) }));
      },
    );
    return () => {
      active = false;
    };
  }, [path, key]);

  const reload = useCallback(() => setVersion((v) => v + 1), []);
  return { data: result?.data ?? null, error: result?.error ?? null, loading: path !== null && result?.key !== key, reload };
}
