// Every sample of the gallery opens from its URL and is explained without errors: IPVS and nftables
// nodes get the same views as iptables ones.
import { test } from "node:test";
import assert from "node:assert/strict";
import { foreign, open } from "../harness.mjs";

const SAMPLES = [
  { name: "flannel", mode: /iptables/i, service: "kube-system/kube-dns:dns" },
  { name: "kube-proxy-test", mode: /iptables/i, service: "ns2/svc2:p80" },
  { name: "ipvs", mode: /ipvs/i, service: "10.96.0.10:53/udp" },
  { name: "nftables", mode: /nftables/i, service: "riset/hellopod-np-svc" },
  { name: "etp-local-black-hole", mode: /iptables/i, service: "default/test-svc" },
  { name: "conntrack-table-full", mode: /iptables/i, service: "default/service1:fileserver" },
  { name: "hairpin", mode: /iptables/i, service: "kube-system/kube-dns:dns" },
  { name: "iptables-large", mode: /iptables/i, service: "billing-0/api-105:postgres" },
];

for (const sample of SAMPLES) {
  test(`sample ${sample.name}`, async () => {
    const s = await open({ hash: `#/sample/${sample.name}` });
    try {
      await s.page.waitForSelector("#status.done", { timeout: 30_000 });
      assert.match(await s.page.textContent("#mode"), sample.mode);
      await s.page.waitForSelector(`a.svc-link:has-text("${sample.service}")`);
      assert.match(await s.page.textContent("#diagnostics"), /Every line was understood|not understood|line/);
      assert.equal(await s.page.locator("#diagnostics .diag-error").count(), 0, "no error diagnostics");
      if (sample.name === "hairpin") {
        await s.page.waitForSelector("#finding-hairpin-not-masqueraded");
      }
      if (sample.name === "conntrack-table-full") {
        assert.match(await s.page.textContent("#conntrack-title"), /critical/i);
      }
      // A large sample lists its Services in a scrolled table: search for the one to open.
      if (sample.name === "iptables-large") {
        assert.equal(await s.page.textContent("#service-count"), "303");
      }
      await s.page.click(`a.svc-link:has-text("${sample.service}")`);
      await s.page.waitForSelector("#service-title");
      // An unnamed port is shown without the trailing `:` of its id.
      assert.ok((await s.page.textContent("#service-title")).startsWith(sample.service));
      assert.deepEqual(foreign(s.requests, s.origin), []);
      assert.deepEqual(s.errors, []);
    } finally {
      await s.close();
    }
  });
}
