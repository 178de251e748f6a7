import { NextResponse } from "next/server";
import { db } from "@/lib/db/client";
import { redis } from "@/lib/redis";

export const dynamic = "force-dynamic";

/** Liveness and readiness in one: 200 when PostgreSQL and Redis answer, 503 otherwise. */
export async function GET(): Promise<Response> {
  const checks = await Promise.allSettled([db().$queryRaw`SELECT 1`, redis().ping()]);
  const [pg, rd] = checks.map((c) => c.status === "fulfilled");
  return NextResponse.json({ status: pg && rd ? "ok" : "degraded", postgres: pg, redis: rd }, { status: pg && rd ? 200 : 503, headers: { "cache-control": "no-store" } });
}
