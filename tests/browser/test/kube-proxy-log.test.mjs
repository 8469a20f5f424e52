// A node snapshot with kube-proxy's log pasted right after the rules (no command line between): the
// splitter finds the log, the overview shows the kube-proxy panel with its facts, its errors linked to
// their lines and the sync-duration chart, and the findings name the failed sync.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { CORPUS, ROOT, explained, explainedAfter, foreign, generation, open, paste, screenshot } from "../harness.mjs";

async function snapshotPaste() {
  const fixture = (file) => readFile(join(ROOT, "tests", "fixtures", "kube-proxy-log", file), "utf8");
  return [
    "root@node1:~# iptables-save",
    (await readFile(join(CORPUS, "iptables", "repo-notes-minik8s-flannel-full-iptables-save-v1.8.4-legacy.txt"), "utf8")).trimEnd(),
    (await fixture("k8s-90031-v1.19-syncs-took.txt")).trimEnd(),
    (await fixture("bottlerocket-4295-xor-mark-sync-failed.txt")).trimEnd(),
  ].join("\n");
}

test("a kube-proxy log inside a snapshot: the panel, its errors and the sync chart", async () => {
  const s = await open();
  try {
    await explained(s.page);
    const before = await generation(s.page);
    await paste(s.page, await snapshotPaste());
    await explainedAfter(s.page, before);

    const kinds = await s.page.$$eval("#sections select.section-kind", (l) => l.map((x) => x.value));
    assert.deepEqual(kinds.slice(-2), ["iptables", "kernel_log"], `sections: ${kinds.join(",")}`);

    await s.page.waitForSelector("#kube-proxy");
    const panel = await s.page.textContent("#kube-proxy");
    assert.match(panel, /4 completed, 1 failed/);
    assert.match(panel, /iptables-restore/);
    assert.match(panel, /--xor-mark/);
    assert.ok(await s.page.isVisible("#kube-proxy .kp-errors a.line-link"), "errors link to their lines");
    const dots = await s.page.$$eval("#kube-proxy .sync-chart circle.chart-dot", (l) => l.length);
    assert.equal(dots, 4);
    assert.equal(await s.page.$$eval("#kube-proxy .sync-chart circle.failed", (l) => l.length), 1);
    assert.ok(await s.page.isVisible("#findings :text('kube-proxy-sync-failed')"));
    await screenshot(s.page, "75-kube-proxy-panel", { fullPage: true });
    await s.page.locator("#kube-proxy").screenshot({ path: join(ROOT, "tests", "browser", "artifacts", "75-kube-proxy-panel-only.png") });

    // A line link opens the source view at the error.
    await s.page.click("#kube-proxy .kp-errors a.line-link");
    await s.page.waitForSelector(".source-view, #source", { timeout: 10_000 });

    assert.deepEqual(foreign(s.requests, s.origin), []);
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
});

test("a paste without a kube-proxy log has no kube-proxy panel", async () => {
  const s = await open();
  try {
    await explained(s.page);
    const before = await generation(s.page);
    await paste(s.page, await readFile(join(CORPUS, "iptables", "repo-notes-minik8s-flannel-full-iptables-save-v1.8.4-legacy.txt"), "utf8"));
    await explainedAfter(s.page, before);
    assert.equal(await s.page.$("#kube-proxy"), null);
  } finally {
    await s.close();
  }
});
