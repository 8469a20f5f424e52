// Redaction through the share link, over every dump of the shared corpus: each is pasted, shared (which
// redacts it), and the link's recipient must see the sender's redacted analysis — the same Service count,
// findings in order with their text, Services and the whole overview — while the link and the recipient's box
// hold none of the addresses the original shows outside the well-known ranges kept on purpose.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { CORPUS, explained, foreign, open, overview, paste } from "../harness.mjs";

async function corpusFiles(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await corpusFiles(path)));
    else if (!entry.name.endsWith(".md")) out.push(path);
  }
  return out.sort();
}

/**
 * Pod, node and Service addresses of the paste (10.96.0.0 and up, 192.168.x.y); the private block itself
 * (`192.168.0.0/16`) names no one and is kept as it is.
 */
function addressesIn(text) {
  const found = new Set(text.replaceAll("192.168.0.0/16", "").match(/\b(?:10\.(?:9[6-9]|1\d\d|2[0-5]\d)|192\.168)\.\d{1,3}\.\d{1,3}\b/g) ?? []);
  return [...found];
}

const files = await corpusFiles(CORPUS);

test("the corpus has dumps to share", () => {
  assert.ok(files.length >= 40, `${files.length} corpus files`);
});

for (const file of files) {
  const name = relative(CORPUS, file);
  test(`corpus ${name}: the share link's recipient sees the sender's redacted analysis`, async () => {
    const dump = await readFile(file, "utf8");
    const s = await open({ hash: "#/" });
    try {
      await paste(s.page, dump);
      await explained(s.page, 60_000);
      await s.page.click("#share");
      await s.page.waitForSelector("#share-link, #long-link", { timeout: 60_000 });
      if (await s.page.isVisible("#long-link")) {
        assert.ok(await s.page.isVisible("#download-dump-offer"), `${name}: the file is offered`);
        if (!(await s.page.isVisible("#copy-long-link"))) return;
        await s.page.click("#copy-long-link");
        await s.page.waitForSelector("#share-link");
      }
      await s.page.waitForSelector("#redaction-summary");
      const link = await s.page.inputValue("#share-link");
      const sent = await s.page.inputValue("#paste");
      const sender = await overview(s.page);
      const real = addressesIn(dump);
      const other = await s.context.newPage();
      await other.goto(link);
      await explained(other, 60_000);
      await other.waitForSelector("#shared-banner");
      const recipient = await overview(other);
      assert.equal(recipient.count, sender.count, "Service count");
      assert.deepEqual(recipient.findings, sender.findings, "findings, in order, with their text");
      assert.deepEqual(recipient.services, sender.services, "the Services table's rows");
      assert.equal(recipient.main, sender.main, "the whole overview");
      const box = await other.inputValue("#paste");
      assert.equal(box, sent, "the recipient's box holds what the sender's showed");
      for (const address of real) {
        assert.ok(!box.includes(address), `${address} is not in the recipient's box`);
        assert.ok(!recipient.main.includes(address), `${address} is not on the recipient's page`);
      }
      await other.close();
      assert.deepEqual(foreign(s.requests, s.origin), []);
      assert.deepEqual(s.errors, []);
    } finally {
      await s.close();
    }
  });
}
