// A whole node snapshot pasted at once (prompts and command lines between the tools' output): every
// section is recognised, the conntrack panel gives its verdict, the Markdown report reaches the clipboard,
// and a deep link opens straight into a Service.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { CORPUS, explained, explainedAfter, foreign, generation, open, paste, screenshot } from "../harness.mjs";

async function snapshotPaste() {
  const read = (kind, file) => readFile(join(CORPUS, kind, file), "utf8");
  return [
    "root@node1:~# uname -r",
    "6.1.0-18-amd64",
    "root@node1:~# iptables-save",
    await read("iptables", "repo-notes-minik8s-flannel-full-iptables-save-v1.8.4-legacy.txt"),
    "root@node1:~# sysctl -a | grep conntrack",
    await read("sysctl", "repo-notes-sysctl-a-grep-i-conntrack-full.txt"),
    "root@node1:~# conntrack -S",
    await read("conntrack", "concourse-4153-conntrack-S-percpu-with-ignore.txt"),
    "root@node1:~# dmesg | grep conntrack",
    (await read("conntrack", "k8s-18604-dmesg-table-full.txt")).split("\n").slice(0, 4).join("\n"),
  ].join("\n");
}

test("a mixed snapshot: sections, the conntrack panel and the Markdown report", async () => {
  const s = await open();
  try {
    await s.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: s.origin });
    await explained(s.page);
    const firstLoad = s.requests.length;
    const before = await generation(s.page);
    await paste(s.page, await snapshotPaste());
    await explainedAfter(s.page, before);

    const kinds = await s.page.$$eval("#sections select.section-kind", (l) => l.map((x) => x.value));
    for (const kind of ["other", "iptables", "sysctl", "conntrack_stats", "kernel_log"]) {
      assert.ok(kinds.includes(kind), `${kind} recognised (got ${kinds.join(",")})`);
    }
    assert.ok(await s.page.isVisible("a.svc-link:has-text('default/service1:fileserver')"));

    await s.page.waitForSelector("#conntrack");
    assert.match(await s.page.textContent("#conntrack-title"), /critical/i);
    assert.match(await s.page.textContent("#conntrack .verdict-sentence"), /table full/);
    await screenshot(s.page, "70-snapshot-conntrack", { fullPage: true });

    await s.page.click("#copy-markdown");
    await s.page.waitForSelector("text=Markdown report copied to the clipboard.");
    const markdown = await s.page.evaluate(() => navigator.clipboard.readText());
    assert.match(markdown, /^### svcpath report/);
    assert.match(markdown, /default\/service1\\:fileserver/);
    assert.match(markdown, /\*\*Conntrack:\*\* Critical/);

    assert.deepEqual(foreign(s.requests, s.origin), []);
    assert.deepEqual(s.requests.slice(firstLoad).filter((u) => !u.startsWith("blob:")), []);
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
});

test("a deep link opens straight into a Service", async () => {
  const s = await open({ hash: "#/service/kube-system/kube-dns:dns" });
  try {
    await s.page.waitForSelector("#service-title", { timeout: 30_000 });
    assert.equal(await s.page.textContent("#service-title"), "kube-system/kube-dns:dns");
    assert.match(await s.page.textContent("#service"), /10\.96\.0\.10/);
    assert.deepEqual(foreign(s.requests, s.origin), []);
  } finally {
    await s.close();
  }
});
