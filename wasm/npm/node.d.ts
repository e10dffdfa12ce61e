// Node entry point: the module is initialised on import.
export * from "./capgate.js";
