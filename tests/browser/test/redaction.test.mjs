// Redaction through the share link: every bundled sample is shared, and whoever opens the link sees the
// sender's redacted analysis (findings, counts, Services, odds, traces), the paste box as the sender saw it
// under Redact, and a banner saying it is a redacted copy. Links too long for a chat offer the file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { explained, foreign, open, overview, screenshot } from "../harness.mjs";

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
/** Services whose pages (paths by client origin, each trace) are compared, per sample. */
const SERVICE_PAGES = 4;

/**
 * Waits until the Service page's paths are drawn: the client-origin choices, a failure, or "nothing to
 * trace" — not the panel's intro line, which is there while the traces are still on their way.
 */
async function tracesShown(page) {
  await page.waitForFunction(() => {
    const paths = document.querySelector("#paths");
    if (!paths || paths.querySelector(".status.busy")) return false;
    return Boolean(
      paths.querySelector(".path-choice, .status.failed") || /Nothing to trace/.test(paths.textContent),
    );
  }, null, { timeout: 30_000 });
}

/** A Service page's text with each of its traces (one per client origin). */
async function servicePage(page, href) {
  await page.evaluate((h) => { location.hash = h; }, href);
  await page.waitForSelector("#service-title");
  await tracesShown(page);
  const texts = [await page.innerText("#service")];
  const choices = await page.$$("#paths .choice");
  for (let i = 0; i < choices.length; i++) {
    await page.click(`#paths .choice >> nth=${i}`);
    await tracesShown(page);
    texts.push(await page.innerText("#paths"));
  }
  return texts;
}

/** Shares the sample open in `page` and returns the link (through the long-link offer when needed). */
async function shareLink(page, name) {
  await page.click("#share");
  await page.waitForSelector("#share-link, #long-link", { timeout: 60_000 });
  if (await page.isVisible("#long-link")) {
    const offer = await page.innerText("#long-link");
    assert.match(offer, /most chats and tickets cut messages over 8\.0 KB|too large for a link/, offer);
    assert.ok(await page.isVisible("#download-dump-offer"), `${name}: the file is offered`);
    await screenshot(page, `80-redaction-long-link-${name}`);
    if (!(await page.isVisible("#copy-long-link"))) return null;
    await page.click("#copy-long-link");
    await page.waitForSelector("#share-link");
  }
  const link = await page.inputValue("#share-link");
  if (!(await page.isVisible("#long-link"))) {
    assert.ok(link.length <= 8 * 1024, `${name}: a link offered for a chat is at most 8 KB (${link.length})`);
  }
  return link;
}

for (const name of SAMPLES) {
  test(`sample ${name}: the share link's recipient sees the sender's redacted analysis`, async () => {
    const s = await open({ hash: `#/sample/${name}` });
    try {
      await explained(s.page, 60_000);
      const firstLoad = s.requests.length;
      const real = await s.page.inputValue("#paste");
      const link = await shareLink(s.page, name);
      await s.page.waitForSelector("#redaction-summary");
      assert.ok(await s.page.isChecked("#redact"), "sharing turns Redact on");
      assert.equal(await s.page.$("#shared-banner"), null, "the sender's own page has no banner");
      const sent = await s.page.inputValue("#paste");
      if (real.length > 0) assert.notEqual(sent, real, "the paste box shows the redacted text under Redact");
      assert.ok(await s.page.getAttribute("#paste", "readonly") !== null, "the redacted box is read-only");
      const sender = await overview(s.page);
      if (name === "flannel") await screenshot(s.page, "81-redaction-sender", { fullPage: true });
      // Redacting and sharing asked nothing of the network.
      assert.deepEqual(s.requests.slice(firstLoad).filter((u) => !u.startsWith("blob:")), []);
      if (link === null) return;
      assert.match(link, /#\/share\/[A-Za-z0-9_-]+$/);

      const other = await s.context.newPage();
      await other.goto(link);
      await explained(other, 60_000);
      await other.waitForSelector("#shared-banner");
      assert.match(await other.innerText("#shared-banner"), /Redacted copy/);
      assert.equal(await other.isChecked("#redact"), false, "the copy is not redacted a second time");
      if (real.length > 0 && real.length < 2 * 1024 * 1024) {
        assert.equal(await other.inputValue("#paste"), sent, "the recipient's box holds what the sender's showed");
      }
      const recipient = await overview(other);
      if (name === "flannel") await screenshot(other, "82-redaction-recipient", { fullPage: true });
      assert.equal(recipient.count, sender.count, "Service count");
      assert.deepEqual(recipient.findings, sender.findings, "findings, in order, with their text");
      assert.deepEqual(recipient.services, sender.services, "the Services table's rows");
      assert.equal(recipient.main, sender.main, "the whole overview");
      for (const href of sender.services.slice(0, SERVICE_PAGES)) {
        const a = await servicePage(s.page, href);
        const b = await servicePage(other, href);
        assert.deepEqual(b, a, `${href}: Service page and traces (odds, verdicts)`);
      }
      await other.close();
      assert.deepEqual(foreign(s.requests, s.origin), []);
      assert.deepEqual(s.errors, []);
    } finally {
      await s.close();
    }
  });
}

test("a pasted node: nothing real is left on the redacted page, in its box or in its link", async () => {
  const s = await open({ hash: "#/sample/flannel" });
  try {
    await explained(s.page);
    const secrets = ["10.96.0.10", "10.108.64.11", "service1", "192.168.157.133", "XFIT55N4IPARHPG5"];
    const real = await s.page.inputValue("#paste");
    for (const secret of secrets) assert.ok(real.includes(secret), `the sample shows ${secret}`);
    await s.page.check("#redact");
    await s.page.waitForSelector("#redaction-summary");
    const box = await s.page.inputValue("#paste");
    const main = await s.page.innerText("main");
    for (const secret of secrets) {
      assert.ok(!box.includes(secret), `${secret} is not in the redacted box`);
      assert.ok(!main.includes(secret), `${secret} is not on the redacted page`);
    }
    assert.match(await s.page.innerText("#redaction-summary"), /chain names hashed again/);
    assert.ok(box.includes("kube-system/kube-dns"), "well-known names are kept");
    await screenshot(s.page, "83-redaction-box");
    // Unticked: the real paste is back and can be edited.
    await s.page.uncheck("#redact");
    assert.equal(await s.page.inputValue("#paste"), real);
    assert.equal(await s.page.getAttribute("#paste", "readonly"), null);
  } finally {
    await s.close();
  }
});
