/**
 * The folder rules the READMEs state, checked by `npm test` (test/dependencies.test.ts) with
 * dependency-cruiser. Each rule names the README that states it.
 */
module.exports = {
  forbidden: [
    {
      name: "engine-no-protos",
      comment: "runners/direct/README.md: the engine never sees a proto (handlers/ translate them).",
      severity: "error",
      from: { path: "^runners/direct/engine/" },
      to: { path: "(^|/)node_modules/apache-beam/.*proto|^runners/direct/(handlers|execution|plan)/" },
    },
    {
      name: "runners-no-io",
      comment: "runners/direct/README.md: the runner knows no connector; io/ registers its sources in sdk/stream_source.ts.",
      severity: "error",
      from: { path: "^runners/" },
      to: { path: "^io/" },
    },
    {
      name: "runners-no-google-cloud",
      comment: "runners/direct/README.md: the Google clients are io/'s.",
      severity: "error",
      from: { path: "^runners/" },
      to: { path: "(^|/)node_modules/@google-cloud/" },
    },
    {
      name: "io-no-runners",
      comment: "io/README.md: connectors run on any runner; they depend on sdk/, never on runners/.",
      severity: "error",
      from: { path: "^io/" },
      to: { path: "^runners/" },
    },
    {
      name: "sdk-only-apache-beam",
      comment: "sdk/README.md: sdk/ depends on apache-beam (and protobufjs, long) only — never on our runner, IO or domain code.",
      severity: "error",
      from: { path: "^sdk/" },
      to: { path: "^(runners|io|transforms|pipelines|cli|testing|ingest|emulators|fixtures|bench)/" },
    },
    {
      name: "nothing-imports-bench",
      comment: "bench/README.md: benchmarks are leaves.",
      severity: "error",
      from: { pathNot: "^bench/" },
      to: { path: "^bench/" },
    },
    {
      name: "nothing-imports-web",
      comment: "web/README.md: web/ (the job page) is a leaf; only the pipeline CLI (and the tests) import it.",
      severity: "error",
      from: { pathNot: "^(web/|test/|pipelines/(main|ui)[.]ts$)" },
      to: { path: "^web/" },
    },
    {
      name: "library-no-cli",
      comment: "cli/README.md: command lines use the library, never the other way round.",
      severity: "error",
      from: { path: "^(runners|io|sdk|transforms|testing)/" },
      to: { path: "^cli/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(dist|node_modules|\\.bench)/" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["require", "node", "default", "types"], extensions: [".ts", ".js", ".d.ts", ".json"] },
  },
};
