"use client";

import { useSyncExternalStore } from "react";
import { formatDateTime } from "@/lib/ui/format";

const noSubscription = () => () => {};

/**
 * A timestamp in the reader's locale and time zone. The server does not know
 * either, so it renders the ISO string and the browser formats after hydration.
 */
export function LocalTime({ value, className }: { value: string | null | undefined; className?: string }) {
  const inBrowser = useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  );
  if (!value) return <span className={className}>—</span>;
  return (
    <time dateTime={value} title={value} className={className}>
      {inBrowser ? formatDateTime(value) : value}
    </time>
  );
}
