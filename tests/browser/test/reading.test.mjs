// Reading the page in an incident: a trace's link reloads into the same result, a Services table that
// scrolls with the page and finds chain names, a paste never dropped without asking, and a keyboard-only
// run with the focus where the view opened.
import { test } from "node:test";
import assert from "node:assert/strict";
import { explained, explainedAfter, generation, open, paste, screenshot } from "../harness.mjs";

/** An iptables-save with `n` Services, each with one endpoint, named team/appN:http. */
function dumpWith(n) {
  const decl = [];
  const rules = ["-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES"];
  for (let i = 0; i < n; i++) {
    const hash = `S${String(i).padStart(15, "0")}`;
    const ep = `E${String(i).padStart(15, "0")}`;
    decl.push(`:KUBE-SVC-${hash} - [0:0]`, `:KUBE-SEP-${ep} - [0:0]`);
    rules.push(
      `-A KUBE-SERVICES -d 10.96.7.${i + 1}/32 -p tcp -m comment --comment "team/app${i}:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-${hash}`,
      `-A KUBE-SVC-${hash} -m comment --comment "team/app${i}:http -> 10.244.3.${i + 1}:8080" -j KUBE-SEP-${ep}`,
      `-A KUBE-SEP-${ep} -p tcp -m comment --comment "team/app${i}:http" -m tcp -j DNAT --to-destination 10.244.3.${i + 1}:8080`,
    );
  }
  return ["*nat", ":PREROUTING ACCEPT [0:0]", ":KUBE-SERVICES - [0:0]", ...decl, ...rules, "COMMIT", ""].join("\n");
}

const active = (page) => page.evaluate(() => {
  const e = document.activeElement;
  return e ? (e.id || e.className || e.tagName) : "";
});

async function traceSummary(page) {
  await page.waitForSelector("#trace .outcome");
  return {
    summary: await page.textContent("#trace .trace-summary"),
    path: await page.$$eval("#trace .outcome .path-order .line-link", (l) => l.map((x) => x.textContent)),
    dst: await page.inputValue("#trace-dst"),
    port: await page.inputValue("#trace-port"),
    from: await page.inputValue("#trace-from"),
  };
}

test("a trace's link reloads into the same result; the summary names the deciding rule", async () => {
  const s = await open({ hash: "#/sample/kube-proxy-test" });
  try {
    await explained(s.page);
    await s.page.click("a.svc-link:has-text('ns2/svc2:p80')");
    await s.page.waitForSelector("#paths .outcome");
    await s.page.click("#trace-this");
    const first = await traceSummary(s.page);
    assert.match(s.page.url(), /#\/trace\?dst=172\.30\.0\.42:80&proto=tcp&from=pod&sample=kube-proxy-test$/);
    // The summary names the rule that decides: the DNAT of the endpoint chain, with its text.
    assert.match(first.summary, /100% → 10\.180\.0\.2:80, decided by L\d+ in nat KUBE-SEP-[A-Z0-9]+: -A KUBE-SEP-[A-Z0-9]+ .*DNAT --to-destination 10\.180\.0\.2:80/);
    // Rules in the order the packet met them, not sorted: KUBE-SERVICES, KUBE-SVC, KUBE-SEP, KUBE-POSTROUTING.
    const numbers = first.path.map((l) => Number(l.slice(1)));
    assert.deepEqual(numbers.slice(0, 4), [47, 87, 78, 68], first.path.join(" "));
    // The Service picker shows the Service traced.
    assert.match(await s.page.$eval("#trace-service", (e) => e.selectedOptions[0].textContent), /^ns2\/svc2:p80 — 172\.30\.0\.42:80/);
    assert.match(await s.page.title(), /^Trace 172\.30\.0\.42:80\/tcp from pod — svcpath$/);

    // Another packet from the form: its query replaces the link.
    await s.page.selectOption("#trace-from", "external");
    await s.page.fill("#trace-dst", "1.2.3.4");
    await s.page.click("#trace-run");
    await s.page.waitForSelector("#trace .trace-summary:has-text('DROP')");
    const link = s.page.url();
    assert.match(link, /#\/trace\?dst=1\.2\.3\.4:80&proto=tcp&from=external&sample=kube-proxy-test$/);
    const dropped = await traceSummary(s.page);
    assert.match(dropped.summary, /100% DROP, decided by L11 in filter KUBE-EXTERNAL-SERVICES: .*has no local endpoints/);

    // Reloaded: the same sample, the same packet, the same result.
    await s.page.reload();
    await explained(s.page);
    assert.deepEqual(await traceSummary(s.page), dropped);
    // Back: the trace before.
    await s.page.goBack();
    await s.page.waitForSelector("#trace .trace-summary:has-text('10.180.0.2:80')");
    assert.deepEqual(await traceSummary(s.page), first);

    // The link opened in a new tab gives the same result too.
    const other = await s.context.newPage();
    await other.goto(link);
    await other.waitForSelector("#status.done");
    assert.deepEqual(await traceSummary(other), dropped);
    await other.close();
    await screenshot(s.page, "90-trace-link", { fullPage: true });
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
});

test("a trace link without a sample waits for its dump; the form's defaults come from the paste", async () => {
  const s = await open({ hash: "#/trace?dst=10.96.7.3:80&proto=tcp&from=node" });
  try {
    await s.page.waitForSelector("#trace-waits");
    assert.equal(await s.page.inputValue("#trace-dst"), "10.96.7.3");
    assert.equal(await s.page.inputValue("#trace-from"), "node");
    assert.equal(await s.page.$("#status.done"), null, "no other cluster's dump is loaded instead");
    await paste(s.page, dumpWith(4));
    await s.page.waitForSelector("#trace .trace-summary:has-text('10.244.3.3:8080')");
    assert.match(await s.page.textContent("#trace .trace-summary"), /decided by L\d+ in nat KUBE-SEP-E0+2/);

    // A new paste: the form's packet is one of its Services, not the last paste's.
    const before = await generation(s.page);
    await s.page.selectOption("#samples", "flannel");
    await s.page.click("#replace-confirm");
    await explainedAfter(s.page, before);
    await s.page.click("a.tab:has-text('Trace')");
    await s.page.waitForSelector("#trace-run");
    const dst = await s.page.inputValue("#trace-dst");
    assert.ok(!dst.startsWith("10.96.7."), `the form holds a Service of this paste (${dst})`);
    assert.match(await s.page.$eval("#trace-service", (e) => e.selectedOptions[0].textContent), new RegExp(`— ${dst.replace(/\./g, "\\.")}:`));
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
});

test("a 14-Service paste shows every row without an inner scroll; search finds chain names; / focuses it", async () => {
  const s = await open();
  try {
    await explained(s.page);
    const before = await generation(s.page);
    await paste(s.page, dumpWith(14));
    await explainedAfter(s.page, before);
    assert.equal(await s.page.textContent("#service-count"), "14");
    assert.equal(await s.page.$$eval(".svc-body .svc-row", (r) => r.length), 14);
    const box = await s.page.$eval(".svc-body", (b) => ({
      overflow: getComputedStyle(b).overflowY,
      scroll: b.scrollHeight,
      client: b.clientHeight,
    }));
    assert.ok(box.overflow === "visible" && box.scroll <= box.client + 1, `no inner scroll box (${JSON.stringify(box)})`);
    // The last row is reached by scrolling the page; the header stays on screen.
    await s.page.locator("a.svc-link:has-text('team/app9:http')").scrollIntoViewIfNeeded();
    assert.ok(await s.page.isVisible("a.svc-link:has-text('team/app9:http')"));
    await s.page.evaluate(() => window.scrollTo(0, document.querySelector(".svc-body").getBoundingClientRect().top + window.scrollY + 300));
    const head = await s.page.$eval(".svc-head", (h) => h.getBoundingClientRect().top);
    assert.ok(Math.abs(head) <= 1, `the header sticks to the top of the window (${head})`);
    // The new columns.
    const heads = await s.page.$$eval(".svc-head .cell", (c) => c.map((x) => x.textContent));
    for (const h of ["External / LB IPs", "eTP", "On this node"]) assert.ok(heads.some((x) => x.startsWith(h)), heads.join("|"));
    await screenshot(s.page, "91-fourteen-services", { fullPage: true });

    // `/` from anywhere but a text field goes to the search; a chain name from a log line finds its Service.
    await s.page.evaluate(() => document.activeElement.blur());
    await s.page.keyboard.press("/");
    assert.equal(await active(s.page), "service-search");
    await s.page.keyboard.type("KUBE-SEP-E000000000000005");
    await s.page.waitForFunction(() => document.querySelectorAll(".svc-body .svc-row").length === 1);
    assert.equal(await s.page.textContent(".svc-body a.svc-link"), "team/app5:http");
    await s.page.fill("#service-search", "kube-svc-s000000000000011");
    await s.page.waitForSelector(".svc-body a.svc-link:has-text('team/app11:http')");
    assert.equal(await s.page.$$eval(".svc-body .svc-row", (r) => r.length), 1);
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
});

test("the nft chain names are searched too", async () => {
  const s = await open({ hash: "#/sample/nftables" });
  try {
    await explained(s.page);
    await s.page.fill("#service-search", "service-FY5PMXPG");
    await s.page.waitForFunction(() => document.querySelectorAll(".svc-body .svc-row").length === 1);
    assert.equal(await s.page.textContent(".svc-body a.svc-link"), "kube-system/kube-dns:dns");
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
});

test("a paste is never dropped without asking: a sample, a tour's link, a reload", async () => {
  const s = await open();
  try {
    await explained(s.page);
    const mine = dumpWith(3);
    let before = await generation(s.page);
    await paste(s.page, mine);
    await explainedAfter(s.page, before);

    // Choosing a sample asks first; "keep" keeps the paste.
    await s.page.selectOption("#samples", "flannel");
    await s.page.waitForSelector("#replace-question");
    assert.equal(await active(s.page), "replace-keep");
    assert.equal(await s.page.inputValue("#paste"), mine);
    await screenshot(s.page, "92-replace-question");
    await s.page.keyboard.press("Enter");
    await s.page.waitForSelector("#replace-question", { state: "detached" });
    assert.equal(await s.page.inputValue("#paste"), mine);
    assert.equal(await s.page.textContent("#service-count"), "3");

    // A tour's link asks too.
    await s.page.click("a.tab:has-text('Learn')");
    await s.page.click("#gallery .gallery-card a.primary-link >> nth=0");
    await s.page.waitForSelector("#replace-question");
    await s.page.click("#replace-keep");
    assert.equal(await s.page.inputValue("#paste"), mine);
    assert.match(s.page.url(), /#\/$/);

    // A reload asks the browser's question (the paste is stored nowhere); dismissed, the paste stays.
    await s.page.click("#paste");
    await s.page.keyboard.press("Control+End");
    await s.page.keyboard.type("\n");
    const dialog = s.page.waitForEvent("dialog");
    const reload = s.page.reload({ timeout: 4000 }).catch(() => "stayed");
    assert.equal((await dialog).type(), "beforeunload");
    await reload;
    assert.equal((await s.page.inputValue("#paste")).trim(), mine.trim());

    // "Replace" loads the sample; a sample is no paste of the user's, so the next one loads at once.
    await s.page.selectOption("#samples", "flannel");
    await s.page.click("#replace-confirm");
    await s.page.waitForSelector("a.svc-link:has-text('kube-system/kube-dns:dns-tcp')");
    before = await generation(s.page);
    await s.page.selectOption("#samples", "kube-proxy-test");
    await explainedAfter(s.page, before);
    assert.equal(await s.page.$("#replace-question"), null);
  } finally {
    await s.close();
  }
});

test("keyboard only: paste → Service → trace → back, the focus on each view's heading", async () => {
  const s = await open();
  try {
    await explained(s.page);
    const tabTo = async (want, most = 150) => {
      for (let i = 0; i < most; i++) {
        await s.page.keyboard.press("Tab");
        if (await s.page.evaluate((w) => document.activeElement?.matches(w), want)) return;
      }
      assert.fail(`Tab never reached ${want}`);
    };
    // The first Tab shows the skip link.
    await s.page.keyboard.press("Tab");
    assert.equal(await active(s.page), "skip-link");
    assert.ok(await s.page.$eval(".skip-link", (a) => a.getBoundingClientRect().top >= 0), "the skip link shows when focused");
    // Paste: into the box, then Explain; every control shows a focus ring, "Open files…" too.
    await tabTo("#paste");
    await s.page.keyboard.press("Control+A");
    await s.page.keyboard.insertText(dumpWith(5));
    await tabTo("#explain");
    assert.equal(await s.page.$eval("#explain", (b) => getComputedStyle(b).outlineStyle), "solid");
    await tabTo("#files");
    assert.equal(await s.page.$eval(".file-button", (l) => getComputedStyle(l).outlineStyle), "solid");
    await s.page.keyboard.press("Shift+Tab");
    assert.equal(await active(s.page), "explain");
    const before = await generation(s.page);
    await s.page.keyboard.press("Enter");
    await explainedAfter(s.page, before);
    // Search, then the Service.
    await s.page.keyboard.press("/");
    await s.page.keyboard.type("app3");
    await tabTo("a.svc-link");
    await s.page.keyboard.press("Enter");
    await s.page.waitForSelector("#service-title");
    await s.page.waitForFunction(() => document.activeElement?.id === "service-title");
    assert.match(await s.page.title(), /^team\/app3:http · Service — svcpath$/);
    // Its trace.
    await tabTo("#trace-this");
    await s.page.keyboard.press("Enter");
    await s.page.waitForSelector("#trace .outcome");
    await s.page.waitForFunction(() => document.activeElement?.id === "trace-title");
    assert.match(await s.page.textContent("#trace .trace-summary"), /10\.244\.3\.4:8080, decided by/);
    // Back to the Service, and back to the overview.
    await s.page.goBack();
    await s.page.waitForFunction(() => document.activeElement?.id === "service-title");
    await s.page.goBack();
    await s.page.waitForSelector("#services-title");
    await s.page.waitForFunction(() => document.activeElement === document.querySelector("main h2"));
    assert.equal(await s.page.title(), "Overview — svcpath");
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
});
