// The conntrack panel's kube-proxy lines: a paste with sysctl values, `conntrack -S` for 8 CPUs and the
// kube-proxy ConfigMap of kubernetes#75575 shows kube-proxy's nf_conntrack_max (its min, 655,350) next
// to the node's, marked as set by kube-proxy, and the timeouts table from the ConfigMap; on a desktop
// and on a 390 px phone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ROOT, explained, explainedAfter, foreign, generation, open, paste, screenshot } from "../harness.mjs";

async function snapshotPaste() {
  const configmap = await readFile(join(ROOT, "tests", "fixtures", "kube-proxy-config", "configmap-k8s-75575.json"), "utf8");
  const lines = ["root@node1:~# sysctl -a | grep conntrack",
    "net.netfilter.nf_conntrack_count = 2000",
    "net.netfilter.nf_conntrack_max = 655350",
    "net.netfilter.nf_conntrack_tcp_timeout_established = 86400",
    "net.netfilter.nf_conntrack_tcp_timeout_close_wait = 60",
    "root@node1:~# conntrack -S"];
  for (let cpu = 0; cpu < 8; cpu++) {
    lines.push(`cpu=${cpu}   \tfound=12 invalid=3 insert=0 insert_failed=0 drop=0 early_drop=0 error=0 search_restart=4`);
  }
  return lines.join("\n") + "\n" + configmap;
}

for (const [name, viewport] of [["desktop", { width: 1280, height: 900 }], ["phone", { width: 390, height: 844 }]]) {
  test(`kube-proxy's conntrack limit beside the node's (${name})`, async () => {
    const s = await open({ viewport });
    try {
      await explained(s.page);
      const before = await generation(s.page);
      await paste(s.page, await snapshotPaste());
      await explainedAfter(s.page, before);

      await s.page.waitForSelector("#kube-proxy-limit");
      const limit = await s.page.textContent("#kube-proxy-limit");
      assert.match(limit, /655,350/);
      assert.match(limit, /set by kube-proxy/);
      assert.match(limit, /max\(65,535 × 8 CPUs, 655,350\) = 655,350/);
      assert.equal(await s.page.getAttribute("#kube-proxy-limit", "data-agreement"), "set by kube-proxy");
      const rows = await s.page.$$eval("#conntrack table.kube-proxy-timeouts tbody tr", (l) => l.map((r) => r.textContent));
      assert.ok(rows.some((r) => /tcp_timeout_close_wait/.test(r) && /kube-proxy did not set this/.test(r)), rows.join("\n"));
      await s.page.locator("#conntrack").scrollIntoViewIfNeeded();
      await screenshot(s.page, `80-conntrack-kube-proxy-${name}`, { fullPage: true });
      await s.page.locator("#conntrack").screenshot({ path: join(ROOT, "tests", "browser", "artifacts", `80-conntrack-kube-proxy-${name}-panel.png`) });
      await s.page.locator("#kube-proxy-limit").screenshot({ path: join(ROOT, "tests", "browser", "artifacts", `80-conntrack-kube-proxy-${name}-limit.png`) });
      await s.page.locator("#conntrack table.kube-proxy-timeouts").screenshot({ path: join(ROOT, "tests", "browser", "artifacts", `80-conntrack-kube-proxy-${name}-timeouts.png`) });
      assert.deepEqual(foreign(s.requests, s.origin), []);
      assert.deepEqual(s.errors, []);
    } finally {
      await s.close();
    }
  });
}
