import { defineConfig } from "@playwright/test";

/**
 * End-to-end tests in Debian's Chromium (Playwright's own browser download is
 * unreachable here) against the Atrium that scripts/test.sh builds and starts.
 */
export default defineConfig({
  testDir: "e2e",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 2,
  retries: 0,
  use: {
    baseURL: process.env.ATRIUM_TEST_URL ?? "http://localhost:3210",
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"],
    },
  },
  outputDir: process.env.PLAYWRIGHT_OUTPUT_DIR ?? ".data/test/playwright",
});
