// Starts the fauxqs SQS/S3 emulator on 127.0.0.1 only (its own launcher binds every interface).
// Usage: node fauxqs-loopback.mjs PORT   (run from a folder where `npm install fauxqs@1.9.2` was done)
import { buildApp } from "fauxqs";

const port = Number.parseInt(process.argv[2] ?? "4566", 10);
const app = buildApp({ logger: false });
await app.listen({ port, host: "127.0.0.1" });
console.log(`fauxqs listening on 127.0.0.1:${port}`);
