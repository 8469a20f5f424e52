// Starts the static server on the built site and a headless Debian chromium driven by playwright-core,
// recording every request the browser makes.
import { mkdtemp, mkdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { serve } from "./server.mjs";

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(here, "../..");
export const DIST = process.env.SVCPATH_DIST || join(ROOT, "dist");
export const ARTIFACTS = join(here, "artifacts");
export const CORPUS = join(ROOT, "..", "shared", "corpus");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
  "--disable-default-apps",
  "--disable-extensions",
  "--no-default-browser-check",
  "--metrics-recording-only",
  "--disable-domain-reliability",
];

/**
 * Serves dist/ (under `base`), launches chromium with a fresh profile, opens a page and records requests.
 * Returns { page, context, url, requests, server, close }.
 */
export async function open({ base = "/", hash = "", colorScheme = "light", viewport = { width: 1280, height: 900 } } = {}) {
  const server = await serve(DIST, { base });
  const profile = await mkdtemp(join(tmpdir(), "svcpath-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport,
    colorScheme,
    acceptDownloads: true,
  });
  // Every request the browser makes; those its Content-Security-Policy stopped before anything went
  // out on the network are moved to `blocked`.
  const requests = [];
  const blocked = [];
  context.on("request", (r) => requests.push(r.url()));
  context.on("requestfailed", (r) => {
    const error = r.failure()?.errorText ?? "";
    if (error === "csp" || /BLOCKED_BY_CSP/.test(error)) {
      blocked.push(r.url());
      const i = requests.lastIndexOf(r.url());
      if (i >= 0) requests.splice(i, 1);
    }
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  const dialogs = [];
  page.on("dialog", async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });
  await page.goto(server.url + hash);
  return {
    page,
    context,
    url: server.url,
    origin: new URL(server.url).origin,
    requests,
    blocked,
    errors,
    dialogs,
    server,
    async close() {
      await context.close();
      await server.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Waits until the status line says the current input is explained. */
export async function explained(page, timeout = 30_000) {
  await page.waitForSelector("#status.done", { timeout });
}

export async function screenshot(page, name, options = {}) {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), ...options });
}

/** The generation number of the current analysis (it grows with every Explain). */
export async function generation(page) {
  return Number(await page.getAttribute("#status", "data-generation"));
}

/** Waits until an analysis newer than generation `before` is explained. */
export async function explainedAfter(page, before, timeout = 60_000) {
  await page.waitForSelector(`#status.done:not([data-generation="${before}"])`, { timeout });
}

/** Puts `text` into the paste box as a user's paste would (which starts the analysis), once the box is drawn. */
export async function paste(page, text) {
  await page.waitForSelector("#paste");
  await page.evaluate((t) => {
    const area = document.querySelector("#paste");
    area.value = t;
    area.dispatchEvent(new InputEvent("input", { bubbles: true, inputType: "insertFromPaste" }));
  }, text);
}

/**
 * Puts `text` in the page beforehand, for a later `pasteStaged`: sending a large text into the page
 * takes the test harness seconds that a user's paste does not, so timed pastes stage it first.
 */
export async function stagePaste(page, text) {
  await page.evaluate((t) => {
    window.__svcpathStaged = t;
  }, text);
}

/** Pastes the text staged with `stagePaste` (as `paste` does, without sending it again). */
export async function pasteStaged(page) {
  await page.waitForSelector("#paste");
  await page.evaluate(() => {
    const area = document.querySelector("#paste");
    area.value = window.__svcpathStaged;
    window.__svcpathStaged = null;
    area.dispatchEvent(new InputEvent("input", { bubbles: true, inputType: "insertFromPaste" }));
  });
}

/** Requests to anything but the page's own origin (data: and blob: URLs of the page itself aside). */
export function foreign(requests, origin) {
  return requests.filter((u) => !(u.startsWith(origin + "/") || u.startsWith("data:") || u.startsWith("blob:" + origin)));
}

/** What the overview says: the whole main region's text, and the findings by code in order. */
export async function overview(page) {
  await page.waitForSelector("#service-count");
  return {
    main: await page.innerText("main"),
    count: await page.textContent("#service-count"),
    findings: await page.$$eval("#findings li.finding", (l) => l.map((x) => `${x.dataset.code}: ${x.innerText}`)),
    services: await page.$$eval("a.svc-link", (l) => l.map((x) => x.getAttribute("href"))),
  };
}

/** A ustar archive of [path, bytes] files. */
export function tar(files) {
  const blocks = [];
  for (const [path, bytes] of files) {
    const header = Buffer.alloc(512);
    header.write(path, 0, 100, "utf8");
    header.write("0000644\0", 100);
    header.write("0000000\0", 108);
    header.write("0000000\0", 116);
    header.write(bytes.length.toString(8).padStart(11, "0") + "\0", 124);
    header.write("00000000000\0", 136);
    header.write("        ", 148);
    header.write("0", 156);
    header.write("ustar\0" + "00", 257);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(sum.toString(8).padStart(6, "0") + "\0 ", 148);
    blocks.push(header, bytes, Buffer.alloc((512 - (bytes.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
