// Large generated dumps for the streaming test and the page benchmark: writes `svcpath-gen`'s dump (built
// if missing) to a temporary file, and records in the page when the first Services of a new analysis
// are drawn and when its report is complete.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./harness.mjs";

/** The path of a `svcpath-gen` binary: the release one, else the debug one, else a release build. */
function generator() {
  const target = process.env.CARGO_TARGET_DIR || join(ROOT, "target");
  for (const profile of ["release", "debug"]) {
    const bin = join(target, profile, "svcpath-gen");
    if (existsSync(bin)) return bin;
  }
  execFileSync("cargo", ["build", "--quiet", "--release", "-p", "svcpath-gen"], { cwd: ROOT, stdio: "inherit" });
  return join(target, "release", "svcpath-gen");
}

/** Writes the iptables dump of `services` Service ports × `endpoints` endpoints; returns its path. */
export async function generatedDump({ mode = "iptables", services = 10_000, endpoints = 10 } = {}) {
  const dir = await mkdtemp(join(tmpdir(), "svcpath-dump-"));
  const file = join(dir, `${mode}-${services}.txt`);
  execFileSync(generator(), ["--mode", mode, "--services", String(services), "--endpoints", String(endpoints), "-o", file]);
  return file;
}

/**
 * Starts recording the next analysis in the page: call before the input changes, then await the
 * returned function, which resolves once the report is complete with what was seen, times in ms since
 * the call: `firstLook` (the Services the paste names listed before it is parsed, with the list's
 * heading and names), `services` (the new input's Services drawn in the table), `complete` (the status
 * line says explained), and at the moment the Services appeared: whether the status was still busy,
 * whether the "still being worked out" panel and the findings were on the page, and the status text.
 */
export async function recordStreaming(page, timeout = 600_000) {
  await page.evaluate(() => {
    const status = () => document.querySelector("#status");
    const before = status()?.dataset.generation;
    const t0 = performance.now();
    const seen = { firstLook: null, services: null, complete: null };
    const look = () => {
      const s = status();
      if (!s || s.dataset.generation === before) return;
      const now = performance.now() - t0;
      // The Services the paste names, listed from the worker's first look before it is parsed.
      if (seen.firstLook === null && document.querySelector("#first-look li")) {
        seen.firstLook = now;
        seen.firstLookHeading = document.querySelector("#first-look h2")?.textContent ?? null;
        seen.firstLookNames = [...document.querySelectorAll("#first-look li .svc-seen")].map((e) => e.textContent);
        seen.busyAtFirstLook = s.classList.contains("busy");
      }
      // The new input's Services: drawn as a part of its report ("still being worked out"), or with
      // the complete report when no part came first.
      const drawn = document.querySelector("a.svc-link") !== null;
      const ours = document.querySelector("#report-coming") !== null || s.classList.contains("done");
      if (seen.services === null && drawn && ours) {
        seen.services = now;
        seen.busyAtServices = s.classList.contains("busy");
        seen.comingAtServices = document.querySelector("#report-coming") !== null;
        seen.findingsAtServices = document.querySelector("#findings") !== null;
        seen.statusAtServices = s.textContent;
        seen.countAtServices = document.querySelector("#report-coming h2")?.textContent ?? null;
      }
      if (seen.complete === null && s.classList.contains("done")) {
        seen.complete = now;
        seen.status = s.textContent;
        observer.disconnect();
      }
    };
    const observer = new MutationObserver(look);
    observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    window.__svcpathStreaming = seen;
  });
  return async () => {
    await page.waitForFunction(() => window.__svcpathStreaming.complete !== null, null, { timeout, polling: 200 });
    return page.evaluate(() => window.__svcpathStreaming);
  };
}

/** The worker's own times from the status lines: Services after A ms, parse and report B ms. */
export function workerTimes(seen) {
  const services = /Services after ([0-9.]+) ms/.exec(seen.statusAtServices ?? "");
  const report = /in ([0-9.]+) ms/.exec(seen.status ?? "");
  return { servicesMs: services ? Number(services[1]) : null, reportMs: report ? Number(report[1]) : null };
}
