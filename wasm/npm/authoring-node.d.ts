// Node entry point of `capgate/authoring`: the module is initialised on import.
export * from "./capgate_authoring.js";
