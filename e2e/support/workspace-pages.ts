import { expect, type Locator, type Page } from "@playwright/test";
import { AppShell } from "./app-pages";
import { TenantSignInPage } from "./sign-in-pages";
import type { TestUser } from "./db";

/** Texts of the workspace, exactly as the product writes them. */
export const WS_MSG = {
  connected: "Connected",
  reconnecting: "Reconnecting…",
  disconnected: "Disconnected",
  sessionEnded: "Your session has ended.",
  engineStopped: "This engine was stopped.",
  engineCrashed: "The engine stopped unexpectedly.",
  noAccess: "You no longer have access to this app.",
} as const;

export interface NodeDef {
  id: string;
  title: string;
  formula: string;
}

/** A JSON API call made by the signed-in page itself (its cookie, its origin, the page's CSRF token). */
export async function pageApi<T>(page: Page, method: string, path: string, body?: unknown): Promise<T> {
  const r = await page.evaluate(
    async ({ method, path, body }) => {
      const token = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? "";
      const res = await fetch(path, {
        method,
        headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRF-Token": token },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, text: await res.text() };
    },
    { method, path, body },
  );
  if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status}: ${r.text}`);
  return JSON.parse(r.text) as T;
}

/** Signs `user` in on `page` and waits for Home. */
export async function signIn(page: Page, slug: string, user: Pick<TestUser, "email" | "password">) {
  const signInPage = new TenantSignInPage(page, slug);
  await signInPage.goto();
  await signInPage.signInToHome(user.email, user.password);
}

/**
 * As an admin (signed in on `page`): a group with `member` in it, and an app
 * shared with that group. Returns the app's id.
 */
export async function createSharedApp(page: Page, opts: { name: string; description?: string; nodes: NodeDef[]; groupName: string; memberId: string }): Promise<string> {
  const { group } = await pageApi<{ group: { id: string } }>(page, "POST", "/api/groups", { name: opts.groupName, cpuMillis: 1000, memoryMiB: 512 });
  await pageApi(page, "PATCH", `/api/users/${opts.memberId}`, { groupIds: [group.id] });
  const { app } = await pageApi<{ app: { id: string } }>(page, "POST", "/api/apps", { name: opts.name, description: opts.description, nodes: opts.nodes });
  await pageApi(page, "PUT", `/api/apps/${app.id}/shares`, { groupIds: [group.id] });
  return app.id;
}

/** As an admin signed in on `page`: stops every engine of the tenant (tests leave no engine processes behind). */
export async function stopAllEngines(page: Page) {
  const { engines } = await pageApi<{ engines: { id: string }[] }>(page, "GET", "/api/engines");
  for (const e of engines) await pageApi(page, "DELETE", `/api/engines/${e.id}`);
}

/** /t/<slug>/apps/<appId>: the workspace. */
export class WorkspacePage extends AppShell {
  constructor(
    page: Page,
    slug: string,
    readonly appId: string,
  ) {
    super(page, slug);
  }

  /** Records every value the engine progress bar shows (it may come and go within a second). */
  async recordProgress() {
    await this.page.addInitScript(() => {
      const w = window as unknown as { __progress: { value: string | null; text: string | null }[] };
      w.__progress = [];
      const seen = () => {
        const bar = document.querySelector('[data-testid="engine-progress"]');
        if (!bar) return;
        const entry = { value: bar.getAttribute("aria-valuenow"), text: bar.getAttribute("aria-valuetext") };
        const last = w.__progress[w.__progress.length - 1];
        if (!last || last.value !== entry.value || last.text !== entry.text) w.__progress.push(entry);
      };
      new MutationObserver(seen).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["aria-valuenow", "aria-valuetext"] });
    });
  }

  /** Keeps every WebSocket the page opens reachable, so a test can drop one like a network blip would. */
  async trackSockets() {
    await this.page.addInitScript(() => {
      const Native = window.WebSocket;
      const all: WebSocket[] = [];
      (window as unknown as { __sockets: WebSocket[] }).__sockets = all;
      window.WebSocket = class extends Native {
        constructor(url: string | URL, protocols?: string | string[]) {
          super(url, protocols);
          all.push(this);
        }
      } as typeof WebSocket;
    });
  }

  /** Drops the workspace's current WebSocket (as a network blip would); returns how many sockets were opened so far. */
  async dropSocket(): Promise<number> {
    return this.page.evaluate(() => {
      const all = (window as unknown as { __sockets: WebSocket[] }).__sockets;
      all.at(-1)?.close();
      return all.length;
    });
  }

  async socketsOpened(): Promise<number> {
    return this.page.evaluate(() => (window as unknown as { __sockets: WebSocket[] }).__sockets.length);
  }

  async progressSeen(): Promise<{ value: string | null; text: string | null }[]> {
    return this.page.evaluate(() => (window as unknown as { __progress?: { value: string | null; text: string | null }[] }).__progress ?? []);
  }

  async goto() {
    await this.page.goto(`/t/${this.slug}/apps/${this.appId}`);
  }

  get status(): Locator {
    return this.page.getByTestId("workspace-status");
  }

  get progress(): Locator {
    return this.page.getByTestId("engine-progress");
  }

  result(nodeId: string): Locator {
    return this.page.getByTestId(`node-result-${nodeId}`);
  }

  chart(nodeId: string): Locator {
    return this.page.getByTestId(`chart-${nodeId}`);
  }

  table(nodeId: string): Locator {
    return this.page.getByTestId(`table-${nodeId}`);
  }

  scalar(nodeId: string): Locator {
    return this.page.getByTestId(`scalar-${nodeId}`);
  }

  formula(title: string): Locator {
    return this.page.getByLabel(`Formula of ${title}`, { exact: true });
  }

  async setFormula(title: string, formula: string) {
    await this.formula(title).fill(formula);
    await this.page.getByRole("button", { name: `Save ${title}`, exact: true }).click();
  }

  async expectConnected() {
    await expect(this.status).toHaveText(WS_MSG.connected, { timeout: 30_000 });
  }

  /** The workspace's ending message (role=alert with this text). */
  ended(text: string): Locator {
    return this.page.getByTestId("workspace-ended").filter({ hasText: text });
  }
}

/** /t/<slug>/admin/engines */
export class EnginesPage extends AppShell {
  async goto() {
    await this.page.goto(`/t/${this.slug}/admin/engines`);
    await expect(this.page.getByRole("heading", { name: "Engines", level: 1, exact: true })).toBeVisible();
  }

  rows(email: string, appName: string): Locator {
    return this.page.getByTestId(`engine-row-${email}`).filter({ hasText: appName });
  }

  async stop(email: string, appName: string) {
    await this.page.getByRole("button", { name: `Stop engine of ${email} for ${appName}`, exact: true }).click();
    await expect(this.page.getByRole("status").filter({ hasText: `Engine of ${email} for ${appName} stopped.` })).toBeVisible();
  }
}
