/**
 * Preloaded into SDK worker processes by bench/fn_api_profile.ts (NODE_OPTIONS -r): the first
 * SIGUSR2 starts V8's CPU profiler, the second writes the profile to $FN_API_PROFILE_DIR/worker-<pid>.cpuprofile.
 * (Workers are stopped with SIGKILL, so --cpu-prof's write-on-exit would never happen.)
 */
"use strict";
const fs = require("fs");
const path = require("path");
const inspector = require("inspector");

const dir = process.env.FN_API_PROFILE_DIR;
if (dir) {
  const session = new inspector.Session();
  session.connect();
  let profiling = false;
  process.on("SIGUSR2", () => {
    if (!profiling) {
      profiling = true;
      session.post("Profiler.enable", () => session.post("Profiler.start"));
      return;
    }
    session.post("Profiler.stop", (error, result) => {
      const file = path.join(dir, `worker-${process.pid}.cpuprofile`);
      fs.writeFileSync(`${file}.partial`, JSON.stringify(error ? {} : result.profile));
      fs.renameSync(`${file}.partial`, file);
    });
  });
}
