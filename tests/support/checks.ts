import { beforeEach, expect } from "vitest";
import { db } from "@/lib/db/client";
import { hashPassword } from "@/lib/auth/password-hashing";
import { AtriumClient, BASE_URL, toJsonResponse, type JsonResponse } from "./atrium-client";
import { PASSWORD, uniqueSlug } from "./fixtures";

/**
 * Prints each failed test's errors as it fails. vitest's summary printer needs
 * Map.groupBy (Node >= 21); on Node 20 it crashes before showing why a test
 * failed, so the reason would otherwise be lost.
 */
beforeEach((ctx) => {
  ctx.onTestFailed(({ task }) => {
    if (task.fails) return; // an expected failure (it.fails), documented where it is declared
    for (const e of task.result?.errors ?? []) console.error(`FAILED: ${task.name}\n${e.message}\n${e.diff ?? ""}`);
  });
});

/** What every error response looks like (docs/api.md "Errors"). */
export interface ApiErrorBody {
  error: { code: string; message: string; requestId: string; details?: { issues?: { field: string; message: string }[]; retryAfterSeconds?: number } };
}

/** Tell-tale signs of a leaked stack trace or internal error text. */
const STACK_SIGNS: RegExp[] = [
  /\n\s*at\s+\S/, // "    at fn (file:line)"
  /\bat\s+[\w.<>$]+\s+\([^)]*:\d+:\d+\)/,
  /(?:\/work\/|node_modules|webpack|turbopack|\.next\/)/i,
  /\.(?:ts|tsx|js|mjs|cjs):\d+/,
  /(?:^|["\s])(?:\w*Error|Prisma\w*):\s/m,
  /"stack"\s*:/,
];

export function expectNoStackTrace(text: string): void {
  for (const sign of STACK_SIGNS) expect(text, `response leaks internals (${sign})`).not.toMatch(sign);
}

/** Asserts the documented error shape: status, code, a readable message, a request id, no internals. */
export function expectApiError(res: JsonResponse<unknown>, status: number, code?: string, message?: RegExp): ApiErrorBody["error"] {
  expect(res.status, `${res.status} ${res.text.slice(0, 300)}`).toBe(status);
  expectNoStackTrace(res.text);
  const body = res.body as ApiErrorBody;
  expect(body?.error, res.text.slice(0, 300)).toBeTruthy();
  if (code) expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
  expect(body.error.message.length).toBeGreaterThan(5);
  if (message) expect(body.error.message).toMatch(message);
  expect(body.error.requestId).toMatch(/^[0-9a-f]{8,64}$/);
  expect(res.headers.get("x-request-id")).toBe(body.error.requestId);
  return body.error;
}

/** The `request.rejected` audit row the API wrapper writes for a refusal, found by the response's request id. */
export async function rejectionAudit(requestId: string) {
  return db().auditEvent.findFirst({ where: { requestId, action: "request.rejected" } });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

/** A platform operator, straight into the database (there is no API to create one). */
export async function makeOperator(): Promise<{ id: string; email: string }> {
  const email = `${uniqueSlug("op")}@operators.test`;
  const op = await db().operator.create({ data: { email, name: "Test Operator", passwordHash: await hashPassword(PASSWORD) } });
  return { id: op.id, email };
}

export async function operatorClient(): Promise<{ client: AtriumClient; operator: { id: string; email: string } }> {
  const operator = await makeOperator();
  const client = new AtriumClient();
  const error = await client.signInOperator(operator.email, PASSWORD);
  if (error) throw new Error(`operator sign-in failed: ${error}`);
  return { client, operator };
}

/** A cookie-authenticated JSON call that sends exactly the headers given (no automatic Origin / CSRF token). */
export async function bareCall(c: AtriumClient, method: string, path: string, body: unknown, headers: Record<string, string>): Promise<JsonResponse<unknown>> {
  return toJsonResponse(await c.raw(method, path, { body: body === undefined ? undefined : JSON.stringify(body), headers: { "content-type": "application/json", ...headers } }));
}

/** The token at the end of a set-password URL. */
export function tokenOf(setPasswordUrl: string): string {
  expect(setPasswordUrl.startsWith(`${BASE_URL}/set-password/`), setPasswordUrl).toBe(true);
  return setPasswordUrl.slice(`${BASE_URL}/set-password/`.length);
}
