// Node entry point of `capgate/authoring`: loads its .wasm synchronously, so
// `import { Engine } from "capgate/authoring"` is ready to use without an `await init()`.
import { readFileSync } from "node:fs";
import { initSync } from "./capgate_authoring.js";

initSync({ module: readFileSync(new URL("./capgate_authoring_bg.wasm", import.meta.url)) });

export * from "./capgate_authoring.js";
