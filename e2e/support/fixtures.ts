import { test as base, expect, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { randomIp } from "../../tests/support/atrium-client";
import { closeDb, makeTenant, makeUser, type Role, type TestTenant, type TestUser } from "./db";

/**
 * Every browser a test opens is its own person: a fresh context (own cookies)
 * coming from its own made-up client IP (X-Forwarded-For; the test server runs
 * with TRUST_PROXY=1), so the per-IP sign-in limit of one test never touches
 * another. Every test gets its own fresh tenant.
 */
export async function newPerson(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ extraHTTPHeaders: { "x-forwarded-for": randomIp() } });
  return { context, page: await context.newPage() };
}

interface Fixtures {
  /** A fresh tenant with an active owner (password PASSWORD). */
  tenant: TestTenant;
  /** Adds an active user with password PASSWORD to the test's tenant. */
  addUser: (role?: Role, name?: string) => Promise<TestUser>;
  /** Opens another browser (own context and client IP); closed after the test. */
  openBrowser: () => Promise<Page>;
}

export const test = base.extend<Fixtures, { database: void }>({
  // The default `page` also gets a client IP of its own.
  extraHTTPHeaders: async ({}, provide) => {
    await provide({ "x-forwarded-for": randomIp() });
  },
  tenant: async ({}, provide) => {
    await provide(await makeTenant());
  },
  addUser: async ({ tenant }, provide) => {
    await provide((role = "member", name = role === "member" ? "Max Member" : "Ada Admin") => makeUser(tenant, role, name));
  },
  openBrowser: async ({ browser }, provide) => {
    const contexts: BrowserContext[] = [];
    await provide(async () => {
      const { context, page } = await newPerson(browser);
      contexts.push(context);
      return page;
    });
    await Promise.all(contexts.map((c) => c.close()));
  },
  // One pool of database connections per worker, closed when the worker is done.
  database: [
    async ({}, provide) => {
      await provide();
      await closeDb();
    },
    { scope: "worker", auto: true },
  ],
});

export { expect };
