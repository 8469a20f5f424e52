// Times svcpath's analysis compiled to WebAssembly in headless Chromium, on dump files given as
// arguments: each is pasted into the built page (dist/) and the time the page's worker reports for
// parsing and the report ("Explained … in N ms") is read off, best of --runs runs. Prints one line per
// file: `FILE BYTES MILLISECONDS`. Used by scripts/bench.sh; needs `make site` first.
import { readFile } from "node:fs/promises";
import { explained, explainedAfter, generation, open, paste } from "./harness.mjs";

const args = process.argv.slice(2);
let runs = 3;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--runs") runs = Number(args[++i]);
  else files.push(args[i]);
}

const s = await open();
try {
  await explained(s.page);
  for (const file of files) {
    const text = await readFile(file, "utf8");
    let best = Infinity;
    for (let run = 0; run < runs; run++) {
      const before = await generation(s.page);
      // A different last line each run, so that every paste is analysed anew.
      await paste(s.page, `${text}\n# run ${run}\n`);
      await explainedAfter(s.page, before, 900_000);
      const status = await s.page.textContent("#status");
      const took = /in ([0-9.]+) ms/.exec(status);
      if (!took) throw new Error(`${file}: no time in the status line: ${status}`);
      best = Math.min(best, Number(took[1]));
    }
    console.log(`${file} ${Buffer.byteLength(text)} ${best}`);
  }
} finally {
  await s.close();
}
