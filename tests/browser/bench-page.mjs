// Times the release page (dist/) in headless Chromium on a large dump, as a user meets it: the dump
// opened with "Open files…" and pasted, each run timing the first Services drawn, the complete report,
// and the worker's own parse + report time. Best of --runs runs per way in. Prints one line per way:
// `WAY BYTES FIRST_SERVICES_MS COMPLETE_MS WORKER_MS` (WAY is `file` or `paste`), then
// `services WAY WORKER_SERVICES_MS` (the worker's own time to the Services in the same run: what the
// page adds is FIRST_SERVICES_MS less this), `named WAY NAMED_MS` (the Services the paste names listed
// from the worker's first look, before the parse), and the site's size as `site FILES GZIP_BYTES` (every file
// the page loaded, gzip -9). Used by scripts/bench.sh
// (`make site` first). Without a FILE it generates the 10,000-Service iptables dump.
import { readFile, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { gzipSync } from "node:zlib";
import { explained, open, paste, pasteStaged, stagePaste } from "./harness.mjs";
import { generatedDump, recordStreaming, workerTimes } from "./streaming.mjs";

const args = process.argv.slice(2);
let runs = 3;
let file = null;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--runs") runs = Number(args[++i]);
  else file = args[i];
}
const generated = file === null;
if (generated) file = await generatedDump({ services: 10_000, endpoints: 10 });

const s = await open();
try {
  await explained(s.page);
  // Everything the page loaded to get here, each once, gzipped as a server would send it.
  const loaded = [...new Set(s.requests.filter((u) => u.startsWith(s.origin + "/")))];
  let gz = 0;
  for (const url of loaded) {
    const body = Buffer.from(await (await fetch(url)).arrayBuffer());
    gz += gzipSync(body, { level: 9 }).length;
  }
  const text = await readFile(file, "utf8");
  const bytes = Buffer.byteLength(text);
  for (const how of ["file", "paste"]) {
    let best = null;
    for (let run = 0; run < runs; run++) {
      // A different last line each run, so that every paste is analysed anew (the text is put in
      // the page before the clock starts: the harness's transfer is not the page's time).
      if (how === "paste") await stagePaste(s.page, `${text}\n# run ${run}\n`);
      const done = await recordStreaming(s.page);
      if (how === "file") await s.page.setInputFiles("#files", file);
      else await pasteStaged(s.page);
      const seen = await done();
      const { servicesMs, reportMs } = workerTimes(seen);
      const row = { look: seen.firstLook, first: seen.services ?? seen.complete, complete: seen.complete, worker: reportMs, servicesMs };
      if (best === null || row.complete < best.complete) best = row;
      // Opening the same file again is a new analysis only once the input changed in between.
      if (how === "file") await paste(s.page, "");
    }
    console.log(`${how} ${bytes} ${best.first.toFixed(0)} ${best.complete.toFixed(0)} ${best.worker}`);
    console.log(`services ${how} ${best.servicesMs}`);
    console.log(`named ${how} ${best.look === null ? "-" : best.look.toFixed(0)}`);
  }
  console.log(`site ${loaded.length} ${gz}`);
} finally {
  await s.close();
  if (generated) await rm(dirname(file), { recursive: true, force: true });
}
