// "What is wrong here": a CentOS-like node whose host firewall REJECTs in INPUT and FORWARD ahead of
// flannel's ACCEPT shows the critical cause first, naming the REJECT line and its owner; the deciding
// trace, the trace steps and the Source view's rule notes say who wrote each rule; "Copy for chat"
// gives Markdown without backslash escapes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ROOT, explained, foreign, open, paste, screenshot } from "../harness.mjs";

const CASE = join(ROOT, "tests", "conformance", "host-firewall-reject.txt");

async function go(page, hash) {
  await page.evaluate((h) => {
    location.hash = h;
  }, hash);
}

test("the host firewall's REJECT is named first, with its line and owner", async () => {
  const dump = await readFile(CASE, "utf8");
  const lines = dump.split("\n");
  const forward = lines.indexOf("-A FORWARD -j REJECT --reject-with icmp-host-prohibited") + 1;
  const input = lines.indexOf("-A INPUT -j REJECT --reject-with icmp-host-prohibited") + 1;
  assert.ok(forward > 0 && input > 0);
  const s = await open({ hash: "#/" });
  try {
    await s.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: s.origin });
    await paste(s.page, dump);
    await explained(s.page);
    const firstLoad = s.requests.length;

    // The diagnosis is the first panel after the paste box and its actions, ahead of the summary and
    // the findings; its first cause is critical.
    await s.page.waitForSelector("#diagnosis .cause");
    const panels = await s.page.$$eval("section.panel:not(.input)", (p) => p.map((x) => x.id || x.className));
    assert.equal(panels[0], "diagnosis", panels.join(" "));
    const first = s.page.locator("#diagnosis .cause").first();
    assert.match(await first.locator(".badge").textContent(), /critical/i);
    const summary = await first.locator(".cause-summary").textContent();
    assert.match(summary, new RegExp(`line ${forward}\\b`));
    assert.match(summary, /host firewall/);
    // It is open, with the rule, its owner, the Services and the deciding trace.
    assert.ok(await first.locator("details").evaluate((d) => d.open));
    assert.match(await first.locator(".cause-rule").textContent(), /-A FORWARD -j REJECT --reject-with icmp-host-prohibited/);
    assert.match(await first.locator(".cause-rule .tag.owner").textContent(), /host firewall/);
    assert.ok((await first.locator(".cause-services a").count()) >= 5);
    const lastStep = first.locator(".cause-trace .step").last();
    assert.match(await lastStep.textContent(), /REJECT/);
    assert.match(await lastStep.locator(".tag.owner").textContent(), /host firewall/);
    // No cause claims the Services have no endpoints: every one of them has some.
    const codes = await s.page.$$eval("#diagnosis .cause", (c) => c.map((x) => x.dataset.code));
    assert.ok(!codes.includes("no-endpoints"), codes.join(" "));
    assert.ok(codes.includes("node-traffic-blocked"), codes.join(" "));
    await screenshot(s.page, "80-diagnosis-host-firewall", { fullPage: false });

    // The deciding trace opens in the Trace form: rejected, and the REJECT step names its owner.
    await first.locator("button.trace-cause").click();
    await s.page.waitForSelector("#trace .outcome");
    assert.match(await s.page.textContent("#trace .outcome-head"), /REJECT/);
    const owners = await s.page.$$eval("#trace .step .tag.owner", (t) => t.map((x) => x.textContent));
    assert.ok(owners.includes("host firewall") && owners.includes("kube-proxy"), owners.join(" "));
    await screenshot(s.page, "81-diagnosis-trace", { fullPage: true });

    // The Source view's rule notes say who wrote the REJECT, and no longer call it kube-proxy's.
    await go(s.page, "#/source");
    await s.page.waitForSelector("#source .src-line");
    await s.page.evaluate((line) => {
      document.querySelector("#source .source").scrollTop = (line - 10) * 20;
    }, forward);
    await s.page.waitForSelector(`#L${forward}`);
    await s.page.hover(`#L${forward} .code`);
    await s.page.waitForSelector(`#rule-notes-title:has-text("Line ${forward}: iptables rule in chain FORWARD")`);
    assert.match(await s.page.textContent("#rule-notes .explain-owner"), /Written by the host firewall/);
    const reject = await s.page.locator("#rule-notes .explain-part", { hasText: "-j REJECT" }).textContent();
    assert.doesNotMatch(reject, /Services without endpoints/);
    assert.match(reject, /not kube-proxy's/);
    await screenshot(s.page, "82-source-owner");

    // Markdown for a chat: the same diagnosis first, no backslash escapes.
    await go(s.page, "#/");
    await s.page.click("#copy-markdown-chat");
    await s.page.waitForSelector("text=Markdown report for a chat or a ticket copied to the clipboard.");
    const chat = await s.page.evaluate(() => navigator.clipboard.readText());
    assert.match(chat, /^\*\*svcpath report\*\*/);
    assert.match(chat, /\*\*What is wrong here\*\*\n\n1\. \*\*critical\*\* /);
    assert.match(chat, new RegExp(`line ${forward}`));
    assert.ok(!chat.includes("\\"), chat);
    await s.page.click("#copy-markdown");
    await s.page.waitForSelector("text=Markdown report copied to the clipboard.");
    const github = await s.page.evaluate(() => navigator.clipboard.readText());
    assert.match(github, /#### What is wrong here/);

    // On a phone the block wraps instead of scrolling sideways.
    await s.page.setViewportSize({ width: 390, height: 844 });
    await s.page.waitForSelector("#diagnosis .cause");
    const overflow = await s.page.$eval("#diagnosis", (d) => d.scrollWidth - d.clientWidth);
    assert.ok(overflow <= 1, `the diagnosis block is ${overflow}px wider than the phone`);
    await s.page.locator("#diagnosis").scrollIntoViewIfNeeded();
    await screenshot(s.page, "83-diagnosis-phone");

    assert.deepEqual(foreign(s.requests, s.origin), []);
    assert.deepEqual(s.requests.slice(firstLoad).filter((u) => !u.startsWith("blob:")), []);
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
});

// A complete two-endpoint ClusterIP Service and nothing else (the findings tests' healthy dump).
const HEALTHY = `# Generated by iptables-save v1.8.9 (nf_tables) on Thu Nov 26 10:00:00 2026
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-AAAA - [0:0]
:KUBE-SEP-A1 - [0:0]
:KUBE-SEP-A2 - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-AAAA
-A KUBE-SVC-AAAA ! -s 10.244.0.0/16 -d 10.96.0.20/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-AAAA -m comment --comment "default/web:http -> 10.244.1.5:8080" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-A1
-A KUBE-SVC-AAAA -m comment --comment "default/web:http -> 10.244.2.6:8080" -j KUBE-SEP-A2
-A KUBE-SEP-A1 -s 10.244.1.5/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-A1 -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.1.5:8080
-A KUBE-SEP-A2 -s 10.244.2.6/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-A2 -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.2.6:8080
COMMIT
`;

test("a healthy paste says plainly that nothing is wrong", async () => {
  const s = await open({ hash: "#/" });
  try {
    await paste(s.page, HEALTHY);
    await explained(s.page);
    await s.page.waitForSelector("#diagnosis");
    assert.equal(await s.page.locator("#diagnosis .cause").count(), 0);
    assert.match(await s.page.textContent("#diagnosis .nothing-wrong"), /^Nothing wrong found/);
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
});
