// Node entry point: loads the runtime .wasm (shared by browsers and Node) synchronously, so `import { Engine } from
// "capgate"` is ready to use without an `await init()`.
import { readFileSync } from "node:fs";
import { initSync } from "./capgate.js";

initSync({ module: readFileSync(new URL("./capgate_bg.wasm", import.meta.url)) });

export * from "./capgate.js";
