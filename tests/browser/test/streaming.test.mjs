// The report streams in: on the 10,000-Service dump of svcpath-gen, opened as a file and pasted, the
// page draws the Services while the rest of the report is still being worked out (no findings shown as
// "none" meanwhile), then the complete report. Asserts the order of events only; prints the times.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { explained, open, paste, pasteStaged, screenshot, stagePaste } from "../harness.mjs";
import { generatedDump, recordStreaming, workerTimes } from "../streaming.mjs";

test("the 10k dump's Services are on screen before its report is complete", async () => {
  const file = await generatedDump({ services: 10_000, endpoints: 10 });
  const s = await open();
  try {
    await explained(s.page);
    const text = await readFile(file, "utf8");
    const mb = (Buffer.byteLength(text) / 1048576).toFixed(1);
    for (const how of ["file", "paste"]) {
      if (how === "paste") {
        await s.page.setViewportSize({ width: 390, height: 844 });
        await stagePaste(s.page, `${text}\n# pasted\n`);
      }
      const done = await recordStreaming(s.page);
      const start = Date.now();
      if (how === "file") await s.page.setInputFiles("#files", file);
      else await pasteStaged(s.page);
      // The Services the paste names, before it is parsed.
      await s.page.waitForFunction(() => window.__svcpathStreaming.firstLook !== null, null, { timeout: 600_000 });
      await screenshot(s.page, how === "file" ? "79-first-look" : "79-first-look-phone", { fullPage: false });
      // The page as the Services appear (a part of the report, when it streams in); pasted on a phone.
      await s.page.waitForFunction(() => window.__svcpathStreaming.services !== null, null, { timeout: 600_000 });
      await screenshot(s.page, how === "file" ? "80-streaming-services-first" : "82-streaming-phone", { fullPage: false });
      const seen = await done();
      const { servicesMs, reportMs } = workerTimes(seen);
      console.log(
        `# 10k dump (${mb} MB, ${how === "file" ? "opened as a file" : "pasted"}): Services named after ` +
          `${seen.firstLook?.toFixed(0)} ms, first Services drawn after ` +
          `${seen.services?.toFixed(0)} ms, complete report after ${seen.complete.toFixed(0)} ms ` +
          `(${Date.now() - start} ms wall); worker: Services after ${servicesMs} ms, parse + report ${reportMs} ms`,
      );
      assert.notEqual(seen.firstLook, null, `${how}: the Services the paste names were listed before it was parsed`);
      assert.ok(seen.firstLook < seen.services, `${how}: the first look (${seen.firstLook}) before the report's first part (${seen.services})`);
      assert.ok(seen.busyAtFirstLook, `${how}: still busy while the first look is listed`);
      assert.match(seen.firstLookHeading, /^[0-9]+ Services named in the paste$/);
      assert.equal(seen.firstLookNames.length, 100, `${how}: a screenful of names`);
      assert.deepEqual(seen.firstLookNames, [...seen.firstLookNames].sort(), `${how}: by name`);
      assert.notEqual(seen.services, null, `${how}: the Services were drawn`);
      assert.ok(seen.services < seen.complete, `${how}: Services (${seen.services}) before the complete report (${seen.complete})`);
      assert.ok(seen.busyAtServices, `${how}: the status still says busy when the Services appear: ${seen.statusAtServices}`);
      assert.ok(seen.comingAtServices, `${how}: the page says the rest is being worked out`);
      assert.ok(!seen.findingsAtServices, `${how}: no findings list (that would read as "none") before the findings`);
      assert.notEqual(servicesMs, null, `${how}: the status names the worker's time to the Services`);
      // The complete report: the same Services, with the findings, and nothing left "being worked out".
      assert.equal(await s.page.locator("#report-coming").count(), 0);
      const count = await s.page.textContent("#service-count");
      assert.equal(seen.countAtServices, `${count} Services read`);
      assert.ok(Number(count) >= 10_000, count);
      // The first look named no more Services than the report has.
      assert.ok(Number(seen.firstLookHeading.split(" ")[0]) <= Number(count), `${seen.firstLookHeading} of ${count}`);
      await s.page.waitForSelector("#findings li.finding");
    }
    await screenshot(s.page, "81-streaming-complete");
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
    await rm(dirname(file), { recursive: true, force: true });
  }
});

test("60,000 Services with the same finding: a screenful of it is drawn, the rest counted, the page answers", async () => {
  const s = await open();
  try {
    await explained(s.page);
    const lines = ["*nat", ":KUBE-SERVICES - [0:0]"];
    for (let i = 0; i < 60000; i++) {
      lines.push(`-A KUBE-SERVICES -d 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32 -p tcp -m comment --comment "ns/svc${i}:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-${String(i).padStart(16, "A")}`);
    }
    lines.push("COMMIT");
    const done = await recordStreaming(s.page);
    await paste(s.page, lines.join("\n"));
    const seen = await done();
    assert.notEqual(seen.firstLook, null, "the Services were named before the parse");
    assert.equal(seen.firstLookHeading, "60000 Services named in the paste");
    // Every Service jumps to a chain the paste does not hold: its endpoints are unknown (never "none").
    assert.equal(await s.page.locator("#findings li.finding[data-code='endpoints-unknown']").count(), 25);
    const more = await s.page.textContent("#findings li.finding-more[data-code='endpoints-unknown']");
    assert.match(more, /…and 59975 more endpoints-unknown findings/);
    assert.match(await s.page.textContent("#findings-title"), /Findings \(60001\)/);
    // The page answers at once: a click opens the first Service's page.
    await s.page.click("a.svc-link >> nth=0", { timeout: 60_000 });
    await s.page.waitForSelector("#service-title", { timeout: 60_000 });
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
});
