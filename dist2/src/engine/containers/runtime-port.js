export {};
//# sourceMappingURL=runtime-port.js.map