// Node entry point: loads the one shared .wasm synchronously, so `import { Engine } from
// "capgate"` is ready to use without an `await init()`.
import { readFileSync } from "node:fs";
import { initSync } from "./capgate.js";

initSync({ module: readFileSync(new URL("./capgate_bg.wasm", import.meta.url)) });

export * from "./capgate.js";
