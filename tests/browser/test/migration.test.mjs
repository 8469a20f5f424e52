// The "nftables move" view: for the IPVS sample, what nftables mode would create on this node and the
// release facts (IPVS deprecated, removed in 1.43); for kube-proxy's own iptables test rules, the
// localhost-NodePort blocker with links to its evidence lines.
import { test } from "node:test";
import assert from "node:assert/strict";
import { explained, open, screenshot } from "../harness.mjs";

test("the IPVS sample's move to nftables mode", async () => {
  const s = await open({ hash: "#/sample/ipvs" });
  try {
    await explained(s.page);
    const firstLoad = s.requests.length;
    await s.page.click("a.tab:has-text('nftables move')");
    await s.page.waitForSelector("#migration-summary");
    assert.equal(await s.page.evaluate(() => location.hash), "#/migration");
    assert.match(await s.page.textContent("#migration-title"), /from IPVS/);
    // Four Service ports with six endpoints: 16 fixed chains, 4 Service and 6 endpoint chains.
    assert.equal((await s.page.textContent("#migration-chains")).trim(), "26");
    const notes = await s.page.textContent("#migration-notes");
    assert.match(notes, /IPVS mode is deprecated since Kubernetes 1\.35/);
    assert.match(notes, /removed in\s+1\.43/);
    assert.match(notes, /default mode in 1\.40/);
    assert.match(await s.page.textContent("#migration-items"), /Blockers and behaviour changes \(0\)/);
    await screenshot(s.page, "95-migration-ipvs", { fullPage: true });
    // Loading the view straight from its address works too.
    await s.page.goto(s.url + "#/sample/ipvs");
    await explained(s.page);
    await s.page.goto(s.url + "#/migration");
    await s.page.waitForSelector("#migration-summary");
    assert.deepEqual(s.requests.slice(firstLoad).filter((u) => !u.startsWith(s.url)), []);
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
});

test("kube-proxy's iptables test rules: localhost NodePorts block the move", async () => {
  const s = await open({ hash: "#/sample/kube-proxy-test" });
  try {
    await explained(s.page);
    await s.page.click("a.tab:has-text('nftables move')");
    await s.page.waitForSelector("#migration-localhost-nodeports");
    const item = await s.page.textContent("#migration-localhost-nodeports");
    assert.match(item, /NodePorts on 127\.0\.0\.1 stop answering/);
    assert.match(item, /What to do/);
    assert.ok(await s.page.$("#migration-nodeport-addresses"));
    // The evidence links lead to the rules in the Source view.
    await s.page.click("#migration-localhost-nodeports a.line-link");
    await s.page.waitForFunction(() => location.hash.startsWith("#/source/L"));
    await screenshot(s.page, "96-migration-evidence", { fullPage: false });
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
});
