// The portal in headless Chromium, as a tenant user: started by tests/e2e/browser.rs, which
// runs the servers and the emulators and passes their addresses in the environment. Each
// step saves a screenshot into $SCREENSHOTS; a failing step saves `failed-<step>.png` and the
// page's URL and text, then exits 1. The last line printed is `RESULT {...}`: what the
// browser created, for the Rust side's own checks.
"use strict";

const path = require("node:path");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const { chromium } = require(path.join(process.env.JUNCTION_BROWSER_MODULES, "playwright-core"));
// axe-core's source, evaluated in each page through the DevTools protocol (the portal's CSP
// rightly refuses injected script tags).
const AXE = fs.readFileSync(path.join(process.env.JUNCTION_BROWSER_MODULES, "axe-core", "axe.min.js"), "utf8");

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (tests/e2e/browser.rs sets it)`);
  return value;
};
const BASE = env("BASE_URL");
const SHOTS = env("SCREENSHOTS");
const ORDERS = Number(env("WOO_ORDERS"));
const result = { screenshots: [], audited: [] };
const violations = [];

/// Check the page with axe-core against WCAG 2.1 A and AA (labels, contrast, names, roles,
/// landmarks, headings); every violation is kept with the step that found it.
async function audit(page, name) {
  await page.evaluate(AXE);
  const found = await page.evaluate(async () => {
    const report = await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
    });
    return report.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
    }));
  });
  result.audited.push(new URL(page.url()).pathname);
  for (const v of found) violations.push({ step: name, url: page.url(), ...v });
}

async function shot(page, name) {
  const file = `${name}.png`;
  await page.screenshot({ path: path.join(SHOTS, file), fullPage: true });
  result.screenshots.push(file);
}

let current = "start";
async function step(page, name, body) {
  current = name;
  const started = Date.now();
  await body();
  await shot(page, name);
  await audit(page, name);
  console.log(`ok  ${name} (${Date.now() - started} ms)`);
}

/// Poll `check` (which returns a truthy value when done) until `ms` pass; a check that
/// throws (the element is not there yet) counts as not done.
async function until(what, ms, check) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    const value = await check().catch((error) => {
      last = error;
      return false;
    });
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/// The Runtime API with a key, as a client program would call it.
async function runtimeApi(key, pathAndQuery) {
  const response = await fetch(`${BASE}/api/v1/api${pathAndQuery}`, { headers: { "X-API-Key": key } });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/// Open the new-connection form for connector key `connector`, fill it, submit; the new id.
async function createConnection(page, connector, name, fields) {
  await page.goto(`${BASE}/portal/connections`);
  await page.locator("#new-connection").click();
  await page.locator(`#connector-${connector}`).click();
  await page.locator("#name").fill(name);
  for (const [property, value] of Object.entries(fields)) {
    await page.locator(`#config-${property}`).fill(value);
  }
  return async () => {
    await page.locator("#create-connection").click();
    await page.waitForURL(/\/portal\/connections\/[0-9a-f-]{36}\?done=created$/);
    return new URL(page.url()).pathname.split("/").pop();
  };
}

async function main() {
  // A failure screenshot from an earlier run would be mistaken for this one's.
  for (const file of fs.readdirSync(SHOTS)) {
    if (file.startsWith("failed-") && file.endsWith(".png")) fs.rmSync(path.join(SHOTS, file));
  }
  const browser = await chromium.launch({
    executablePath: env("JUNCTION_CHROMIUM"),
    headless: true,
    // Chromium's own sandbox needs user namespaces, which CI containers (and root) lack.
    args: ["--no-sandbox"],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: BASE });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const consoleErrors = [];
  // Script errors and CSP refusals count; a failed load is judged by its response below
  // (a refused sign-in is a 401 on purpose, Chromium's own /favicon.ico probe a 404).
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) consoleErrors.push(m.text());
  });
  page.on("response", (r) => {
    const url = new URL(r.url());
    if (r.status() >= 500 || (r.status() === 404 && url.pathname.startsWith("/portal/static/"))) {
      consoleErrors.push(`${r.status()} ${url.pathname}`);
    }
  });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));

  try {
    await step(page, "01-sign-in", async () => {
      await page.goto(`${BASE}/portal`);
      assert.match(page.url(), /\/portal\/login$/);
      await page.getByLabel("Email").fill(env("EMAIL"));
      await page.getByLabel("Password", { exact: true }).fill("not the password");
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      await page.getByRole("alert").waitFor();
      await page.getByLabel("Password", { exact: true }).fill(env("PASSWORD"));
    });
    await step(page, "02-connections-empty", async () => {
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      await page.waitForURL(/\/portal\/connections$/);
      await page.getByRole("heading", { name: "Connections", level: 1 }).waitFor();
      await page.getByRole("heading", { name: "No connections yet" }).waitFor();
    });

    let submit;
    await step(page, "03-connection-form", async () => {
      submit = await createConnection(page, "woocommerce", "Acme shop", {
        base_url: env("WOO_URL"),
        consumer_key: env("WOO_KEY"),
        consumer_secret: env("WOO_SECRET"),
      });
      assert.equal(await page.locator("#config-consumer_secret").getAttribute("type"), "password");
    });
    await step(page, "04-connection-details", async () => {
      result.shopConnection = await submit();
      await page.getByRole("heading", { name: "Acme shop", level: 1 }).waitFor();
      await page.locator("#health-check").click();
      await until("the health check's outcome", 30_000, async () =>
        /OK/.test(await page.locator("#health-result").innerText()));
    });

    await step(page, "05-synced-counts", async () => {
      await page.locator("#sync-now").click();
      // The live status updates the counts without a reload (portal.js polls while syncing).
      await until("the orders count to reach the shop's orders", 60_000, async () =>
        (await page.locator("#records-orders").innerText()).replace(/\D/g, "") === String(ORDERS));
      await until("the orders resource to show its run succeeded", 30_000, async () =>
        /OK|succeeded/i.test(await page.locator("#status-orders").innerText()));
    });

    let key;
    await step(page, "06-key-shown-once", async () => {
      await page.locator("#key-name").fill("storefront");
      await page.locator("#generate-key").click();
      key = await page.locator("#new-key").inputValue();
      assert.match(key, /\S{20,}/, "a key is shown");
      await page.getByText(/will not be shown again/i).first().waitFor();
      await page.locator("[data-copy]").first().click();
      await page.getByText("Copied").first().waitFor();
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), key);
    });
    await step(page, "07-key-used-on-the-runtime-api", async () => {
      const orders = await runtimeApi(key, "/orders?pageSize=100");
      assert.equal(orders.status, 200, JSON.stringify(orders.body));
      const list = orders.body.data ?? orders.body.orders ?? orders.body;
      assert.equal(list.length, ORDERS, "the key reads the connection's orders");
      await page.goto(`${BASE}/portal/connections/${result.shopConnection}`);
      assert.ok(!(await page.content()).includes(key), "the key is never shown again");
      await page.goto(`${BASE}/portal/api-keys`);
      assert.ok(!(await page.content()).includes(key), "not on the API keys page either");
      await page.getByText("storefront").first().waitFor();
    });

    await step(page, "08-key-revoked", async () => {
      await page.goto(`${BASE}/portal/connections/${result.shopConnection}`);
      const row = page.locator("tr", { hasText: "storefront" });
      await row.getByRole("button", { name: /revoke/i }).click();
      const confirm = page.locator("#confirm-revoke");
      if (await confirm.count()) await confirm.click();
      await page.locator("tr", { hasText: "storefront" }).getByText(/revoked/i).first().waitFor();
      const refused = await runtimeApi(key, "/orders");
      assert.equal(refused.status, 401, "a revoked key is refused");
    });

    await step(page, "08b-connection-edit", async () => {
      // Edit: the settings are tested before anything is saved; a blank secret keeps its value.
      await page.goto(`${BASE}/portal/connections/${result.shopConnection}`);
      await page.locator("#edit-connection").click();
      await page.getByRole("heading", { name: /^Edit /, level: 1 }).waitFor();
      assert.equal(await page.locator("#config-consumer_secret").inputValue(), "", "a secret is never filled in");
      await page.locator("#test-settings").click();
      await page.locator("#check-result").getByText("Check passed").waitFor();
    });
    await step(page, "08c-connection-saved", async () => {
      await page.locator("#name").fill("Acme shop");
      await page.locator("#save-settings").click();
      await page.getByText("The connection is saved.").first().waitFor();
    });

    await step(page, "09-second-connection", async () => {
      const submitDashboard = await createConnection(page, "bugalou", "Acme dashboard", {
        api_key: env("BUGALOU_KEY"),
        platform: "woocommerce",
        base_url: env("BUGALOU_URL"),
      });
      result.dashboardConnection = await submitDashboard();
    });

    await step(page, "10-automation-form", async () => {
      await page.goto(`${BASE}/portal/automations`);
      await page.locator("#new-automation").click();
      await page.locator("#automation-name").fill("Shop orders to the dashboard");
      await page.locator("#source").selectOption(result.shopConnection);
      await page.locator("#target").selectOption(result.dashboardConnection);
      await page.locator("#entity-orders").check();
      await page.locator("#direction-orders-source_to_target").check();
      await page.locator("#enabled").check();
    });
    await step(page, "11-automation-ran", async () => {
      await page.locator("#create-automation").click();
      await page.waitForURL(/\/portal\/automations\/[0-9a-f-]{36}(\?.*)?$/);
      result.automation = new URL(page.url()).pathname.split("/").pop();
      await page.locator("#run-now").click();
      await until("a finished run with written records in the history", 90_000, async () => {
        await page.reload();
        const history = await page.locator("#run-history").innerText({ timeout: 2_000 });
        return /succeeded/i.test(history) && new RegExp(`\\b${ORDERS}\\b`).test(history);
      });
    });

    await step(page, "11a-automation-run", async () => {
      // The run's page lists the orders it wrote, each linked to its record.
      await page.locator("#run-history tbody th a").first().click();
      await page.waitForURL(/\/portal\/automations\/[0-9a-f-]{36}\/runs\/[0-9a-f-]{36}$/);
      await page.locator("#steps-list").getByText("Written").first().waitFor();
    });
    await step(page, "11b-records", async () => {
      // The orders count on the connection's page opens the records browser; a search
      // narrows it to one order.
      await page.goto(`${BASE}/portal/connections/${result.shopConnection}`);
      await page.locator("#records-orders").click();
      await page.getByRole("heading", { name: /^Orders of /, level: 1 }).waitFor();
      const rows = await page.locator("#records-table tbody tr").count();
      assert.ok(rows > 0 && rows <= 50, `a page of orders (${rows})`);
      const firstId = (await page.locator("#records-table tbody th").first().innerText()).trim();
      await page.locator("#records-q").fill(firstId);
      await page.locator("#records-apply").click();
      await page.locator("#records-table").getByRole("link", { name: firstId, exact: true }).waitFor();
      result.recordId = firstId;
    });
    await step(page, "11c-record", async () => {
      // A record's page: its fields, its JSON and the system's raw answer (opened), and
      // where the automation wrote it.
      await page.locator("#records-table").getByRole("link", { name: result.recordId, exact: true }).click();
      await page.locator("#record-fields").waitFor();
      await page.locator("#raw-details summary").click();
      await page.locator("#raw-json").waitFor();
      await page.locator("#links-list").getByText(/Written to Acme dashboard/).waitFor();
    });

    await step(page, "12-runs", async () => {
      await page.goto(`${BASE}/portal/runs`);
      await page.getByRole("heading", { name: "Runs", level: 1 }).waitFor();
      await page.locator("table").first().waitFor();
    });
    await step(page, "12a-run-detail", async () => {
      // A run's page: its pages with their requests (opened) and record counts.
      await page.goto(`${BASE}/portal/runs?resource=orders&status=succeeded`);
      await page.locator("#runs-table tbody th a").first().click();
      await page.waitForURL(/\/portal\/runs\/[0-9a-f-]{36}$/);
      await page.locator("#steps-table").waitFor();
      await page.locator("#steps-table details summary").first().click();
      await page.locator("#steps-table ol.requests li").first().waitFor();
    });
    await step(page, "12b-webhook-created", async () => {
      // A webhook endpoint: the secret shown once.
      await page.goto(`${BASE}/portal/webhooks`);
      await page.getByRole("heading", { name: "No webhook endpoints yet" }).waitFor();
      await page.locator("#webhook-url").fill(env("HOOK_URL"));
      await page.locator("#webhook-events").fill("order.*");
      await page.locator("#create-webhook").click();
      assert.match(await page.locator("#webhook-secret").inputValue(), /^whsec_/);
    });
    await step(page, "12c-webhook-delivered", async () => {
      // Its page: a test event sent, delivered, in the log.
      await page.locator("#to-endpoint").click();
      await page.locator("#send-test").click();
      await until("the test event delivered", 30_000, async () => {
        await page.reload();
        return /Delivered/.test(await page.locator("#deliveries-table").innerText({ timeout: 2_000 }));
      });
    });
    await step(page, "13-connectors", async () => {
      await page.goto(`${BASE}/portal/connectors`);
      await page.getByText("WooCommerce").first().waitFor();
    });
    await step(page, "13b-not-found", async () => {
      // A page that does not exist keeps the sidebar, so every section is one click away.
      const response = await page.goto(`${BASE}/portal/no-such-page`);
      assert.equal(response.status(), 404);
      await page.getByRole("heading", { name: "Not found", level: 1 }).waitFor();
      await page.getByRole("navigation", { name: "Portal sections" }).getByRole("link", { name: "Runs" }).waitFor();
    });
    await step(page, "14-keyboard", async () => {
      // Keyboard: the first Tab reaches the skip link, which moves focus to the main content.
      await page.goto(`${BASE}/portal/connections`);
      await page.keyboard.press("Tab");
      assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), "Skip to main content");
      await page.keyboard.press("Enter");
      assert.equal(await page.evaluate(() => document.activeElement.id), "main");
    });
    await step(page, "15-users", async () => {
      // The operator's Users page: a user created with a generated password, shown once.
      await page.locator("form[action='/portal/logout'] button").click();
      await page.waitForURL(/\/portal\/login/);
      await page.locator("#token").fill(env("ADMIN_TOKEN"));
      await page.getByRole("button", { name: "Sign in as operator" }).click();
      await page.waitForURL(/\/portal\/connections/);
      await page.goto(`${BASE}/portal/users`);
      await page.getByRole("heading", { name: "Users", level: 1 }).waitFor();
      await page.locator("#users-table").getByRole("rowheader", { name: env("EMAIL") }).waitFor();
    });
    await step(page, "16-user-created", async () => {
      await page.locator("#user-tenant").selectOption({ label: "acme" });
      await page.locator("#user-email").fill("bea@acme.example");
      await page.locator("#create-user").click();
      assert.equal((await page.locator("#new-password").inputValue()).length, 24);
    });
    assert.deepEqual(consoleErrors, [], "no script errors or CSP violations on any page");
    current = "accessibility";
    assert.deepEqual(violations, [], "axe-core finds no WCAG 2.1 A/AA or best-practice violation");
  } catch (error) {
    console.error(`FAILED at ${current}: ${error.stack || error}`);
    console.error(`url: ${page.url()}`);
    try {
      await page.screenshot({ path: path.join(SHOTS, `failed-${current}.png`), fullPage: true });
      console.error((await page.locator("body").innerText()).slice(0, 4000));
    } catch (_) {
      // The page itself may be gone; the error above says why.
    }
    await browser.close();
    process.exit(1);
  }
  await browser.close();
  console.log(`RESULT ${JSON.stringify(result)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
