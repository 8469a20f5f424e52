// Learning: the gallery, each sample's guided tour (every link lands where it says), the glossary and its
// links from findings, and the Source view's explanation of a rule's options on hover and focus.
// Screenshots of every view in light and dark, desktop and phone widths.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ROOT, explained, explainedAfter, foreign, generation, open, screenshot } from "../harness.mjs";

const SAMPLES = [
  "flannel",
  "kube-proxy-test",
  "ipvs",
  "nftables",
  "etp-local-black-hole",
  "conntrack-table-full",
  "hairpin",
  "iptables-large",
];

async function go(page, hash) {
  await page.evaluate((h) => {
    location.hash = h;
  }, hash);
}

test("gallery: every sample opens with its tour, and every tour link lands on its target", async () => {
  const s = await open({ hash: "#/gallery" });
  try {
    await s.page.waitForSelector("#gallery .gallery-card");
    const cards = await s.page.$$eval("#gallery .gallery-card", (c) => c.map((x) => x.id));
    assert.deepEqual(cards, SAMPLES.map((n) => `sample-${n}`));
    const firstLoad = s.requests.length;
    for (const name of SAMPLES) {
      await go(s.page, "#/gallery");
      await s.page.waitForSelector(`#sample-${name}`);
      const before = await generation(s.page);
      await s.page.click(`#sample-${name} .gallery-open a`);
      await s.page.waitForSelector("#tour");
      // The default sample may already be explained: wait for this one.
      if (name !== "flannel") await explainedAfter(s.page, before);
      await explained(s.page);
      assert.equal(await s.page.locator("#diagnostics .diag-error").count(), 0, `${name}: no error diagnostics`);
      const links = await s.page.$$eval("#tour a.tour-link", (a) => a.map((x) => ({ href: x.getAttribute("href"), text: x.textContent })));
      assert.ok(links.length >= 3, `${name} has tour links`);
      for (const link of links) {
        await go(s.page, `#/sample/${name}`);
        await s.page.waitForSelector("#tour");
        await s.page.click(`#tour a.tour-link[href="${link.href}"] >> nth=0`);
        const where = `${name}: ${link.text} (${link.href})`;
        if (link.href.startsWith("#/service/")) {
          await s.page.waitForSelector("#service-title", { timeout: 10_000 });
          await s.page.waitForSelector(".tour-crumb");
        } else if (link.href.startsWith("#/source/L")) {
          const n = link.href.slice("#/source/L".length);
          await s.page.waitForSelector(`#L${n}.target`, { timeout: 10_000 });
          // A linked rule is explained beside the text (kernel log or sysctl lines have no options).
          if (await s.page.locator(`#L${n}.explainable`).count()) {
            await s.page.waitForSelector(`#rule-notes-title:has-text("Line ${n}:")`, { timeout: 10_000 });
          }
          assert.ok(await s.page.isVisible(`#L${n}`), where);
        } else if (link.href.startsWith("#/finding/")) {
          const code = link.href.slice("#/finding/".length);
          await s.page.waitForSelector(`#finding-${code}.target`, { timeout: 10_000 });
          assert.ok(await s.page.isVisible(`#finding-${code}`), where);
        } else if (link.href.startsWith("#/glossary/")) {
          const key = link.href.slice("#/glossary/".length);
          await s.page.waitForSelector(`#g-${key}.target`, { timeout: 10_000 });
          assert.ok(await s.page.isVisible(`#g-${key}`), where);
        } else if (link.href === "#/trace") {
          await s.page.waitForSelector("#trace-run");
        } else {
          assert.fail(`unexpected link ${where}`);
        }
      }
    }
    await go(s.page, "#/sample/hairpin");
    await s.page.waitForSelector("#tour");
    await screenshot(s.page, "70-tour-hairpin", { fullPage: true });
    assert.deepEqual(foreign(s.requests, s.origin), []);
    // A worker restarted from its cached module loads a blob: URL, which never reaches the network.
    const later = s.requests.slice(firstLoad).filter((u) => !u.startsWith("blob:"));
    assert.deepEqual(later, [], "no request after the first load");
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
});

test("hairpin sample: the endpoint reaching itself is not masqueraded, unlike on the intact node", async () => {
  for (const [sample, masqueraded] of [["hairpin", false], ["flannel", true]]) {
    const s = await open({ hash: `#/sample/${sample}` });
    try {
      await explained(s.page);
      await go(s.page, "#/service/kube-system/kube-dns:dns");
      await s.page.click("#paths .choice:has-text('itself (hairpin)')");
      const self = s.page.locator("#paths .outcome", { hasText: "→ 10.244.0.4:53" }).first();
      await self.waitFor();
      assert.equal(await self.locator(".tag.masq").count(), masqueraded ? 1 : 0, `${sample}: ${await self.textContent()}`);
      assert.deepEqual(s.errors, []);
    } finally {
      await s.close();
    }
  }
});

test("glossary: entries have anchors; findings link to them", async () => {
  const s = await open({ hash: "#/sample/kube-proxy-test" });
  try {
    await explained(s.page);
    const finding = "#finding-etp-local-no-local-endpoints";
    await s.page.waitForSelector(finding);
    await s.page.click(`${finding} a.term-link`);
    await s.page.waitForSelector("#g-external-traffic-policy.target");
    assert.match(s.page.url(), /#\/glossary\/external-traffic-policy$/);
    assert.match(await s.page.textContent("#g-external-traffic-policy"), /black hole/);
    // The index and "see also" links move between entries.
    await s.page.click(".glossary-index a:has-text('Hairpin')");
    await s.page.waitForSelector("#g-hairpin.target");
    await s.page.click("#g-hairpin .see a:has-text('KUBE-MARK-MASQ')");
    await s.page.waitForSelector("#g-kube-mark-masq.target");
    assert.match(await s.page.textContent("#g-kube-mark-masq"), /0x4000/);
    const keys = await s.page.$$eval(".glossary-entry", (e) => e.map((x) => x.id));
    for (const key of ["clusterip", "nodeport", "external-traffic-policy", "masquerade", "hairpin", "session-affinity",
      "statistic", "kube-mark-masq", "conntrack", "ipvs", "verdict-map", "numgen", "dnat", "snat", "endpoint"]) {
      assert.ok(keys.includes(`g-${key}`), key);
    }
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
});

test("source view: hovering and focusing a rule explains its options", async () => {
  const text = await readFile(join(ROOT, "web", "samples", "minik8s-flannel-iptables-save.txt"), "utf8");
  const lines = text.split("\n");
  const n = lines.findIndex((l) => l.includes("--probability 0.33333333349") && l.includes("service1:fileserver")) + 1;
  assert.ok(n > 0);
  assert.match(lines[n], /--probability 0.50000000000/, "the next rule of the chain has 0.5");
  const s = await open({ hash: "#/sample/flannel" });
  try {
    await explained(s.page);
    await go(s.page, "#/source");
    await s.page.waitForSelector("#source .src-line");
    await s.page.evaluate((line) => {
      document.querySelector("#source .source").scrollTop = (line - 10) * 20;
    }, n);
    await s.page.waitForSelector(`#L${n}`);
    await s.page.hover(`#L${n} .code`);
    await s.page.waitForSelector(`#rule-notes-title:has-text("Line ${n}: iptables rule in chain KUBE-SVC-")`);
    const stat = s.page.locator("#rule-notes .explain-part", { hasText: "--probability" });
    assert.match(await stat.textContent(), /matches a random 33\.3 % of the new connections/);
    assert.match(await stat.textContent(), /this endpoint gets 33\.3 % of all new connections/);
    // Hovering the option itself picks its row.
    await s.page.hover(`#L${n} .opt:has-text("--probability")`);
    await s.page.waitForSelector("#rule-notes .explain-part.active:has-text('--probability')");
    await screenshot(s.page, "71-source-explain");

    // Keyboard: focusing the next rule explains it, with the cascade of the rule before it.
    await s.page.focus(`#L${n + 1}`);
    await s.page.waitForSelector(`#rule-notes-title:has-text("Line ${n + 1}:")`);
    const next = await s.page.locator("#rule-notes .explain-part", { hasText: "--probability" }).textContent();
    assert.match(next, /random 50\.0 %/);
    assert.match(next, /only the 66\.7 % left over by the 1 rule before it get here, so this endpoint gets 33\.3 %/);
    // The glossary link of an option.
    await s.page.click("#rule-notes .explain-part:has-text('--probability') a.term-link");
    await s.page.waitForSelector("#g-statistic.target");

    // The mark rule.
    const m = lines.findIndex((l) => l.startsWith("-A KUBE-MARK-MASQ -j MARK")) + 1;
    await go(s.page, `#/source/L${m}`);
    await s.page.waitForSelector(`#rule-notes-title:has-text("Line ${m}:")`);
    assert.match(await s.page.textContent("#rule-notes"), /sets bit 0x4000 of the packet mark: kube-proxy's "masquerade this packet" flag, acted on in KUBE-POSTROUTING/);
    assert.deepEqual(foreign(s.requests, s.origin), []);
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
});

test("nft and ipvsadm lines are explained too", async () => {
  const s = await open({ hash: "#/sample/nftables" });
  try {
    await explained(s.page);
    const text = await readFile(join(ROOT, "web", "samples", "k3s-nftables-mode.txt"), "utf8");
    const n = text.split("\n").findIndex((l) => l.includes("numgen random mod 9")) + 1;
    await go(s.page, `#/source/L${n}`);
    await s.page.waitForSelector(`#rule-notes-title:has-text("Line ${n}: nftables rule")`);
    assert.match(await s.page.textContent("#rule-notes"), /each of the 9 endpoints gets 11\.1 %/);
    const before = await generation(s.page);
    await go(s.page, "#/sample/ipvs");
    await explainedAfter(s.page, before);
    const ipvs = await readFile(join(ROOT, "web", "samples", "azure-kubeadm-ipvs-node.txt"), "utf8");
    const m = ipvs.split("\n").findIndex((l) => l.includes("-> 192.168.0.17:53")) + 1;
    await go(s.page, `#/source/L${m}`);
    await s.page.waitForSelector(`#rule-notes-title:has-text("Line ${m}: IPVS real server")`);
    assert.match(await s.page.textContent("#rule-notes"), /Masq: the destination is rewritten/);
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
});

// Screenshots to look at: each view in light and dark, on a laptop and a phone.
const SHOTS = [
  { name: "overview", hash: "#/sample/flannel", ready: "#tour" },
  { name: "service", hash: "#/service/kube-system/kube-dns:dns", ready: "#paths .outcome" },
  { name: "trace", hash: "#/trace", ready: "#trace-run", act: async (page) => {
    await page.fill("#trace-dst", "10.96.0.10");
    await page.fill("#trace-port", "53");
    await page.click("#trace-run");
    await page.waitForSelector("#trace .outcome");
  } },
  { name: "source", hash: "#/source/L159", ready: "#rule-notes-title" },
  { name: "gallery", hash: "#/gallery", ready: "#gallery .gallery-card" },
  { name: "glossary", hash: "#/glossary/hairpin", ready: "#g-hairpin.target" },
];

for (const [scheme, viewport, label] of [
  ["light", { width: 1280, height: 900 }, "desktop-light"],
  ["dark", { width: 1280, height: 900 }, "desktop-dark"],
  ["light", { width: 390, height: 844 }, "phone-light"],
  ["dark", { width: 390, height: 844 }, "phone-dark"],
  ["light", { width: 360, height: 740 }, "phone-small"],
]) {
  test(`screenshots: ${label}`, async () => {
    const s = await open({ hash: "#/sample/flannel", colorScheme: scheme, viewport });
    try {
      await explained(s.page);
      for (const shot of SHOTS) {
        await go(s.page, shot.hash);
        await s.page.waitForSelector(shot.ready);
        if (shot.act) await shot.act(s.page);
        // On a phone the rule notes sit under the text: show them.
        if (shot.name === "source" && viewport.width < 800) await s.page.locator("#rule-notes").scrollIntoViewIfNeeded();
        // Nothing makes the page scroll sideways, on a phone either (diagrams scroll in their own box).
        const widths = await s.page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
        assert.ok(widths[0] <= widths[1], `${label} ${shot.name}: page ${widths[0]} px wide in a ${widths[1]} px window`);
        // Phone shots show the first screen of each view; desktop ones the whole page.
        await screenshot(s.page, `80-${label}-${shot.name}`, { fullPage: viewport.width > 800 && shot.name !== "source" });
      }
      assert.deepEqual(s.errors, []);
    } finally {
      await s.close();
    }
  });
}
