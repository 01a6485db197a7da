#!/usr/bin/env node
// A fresh database for the Python tests' server when DATABASE_URL is set: a clone of the
// migrated template, made by the same code every TypeScript test file uses
// (@autoglm/db/testing). Prints {"url": …} on one line, then holds the database until its
// standard input closes (the pytest session ended, or died), and drops it.
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
const { createTestDb } = await import(pathToFileURL(path.join(repo, "packages/db/dist/testing.js")).href);
const db = await createTestDb({ poolSize: 1 });
process.stdout.write(`${JSON.stringify({ url: db.url })}\n`);
process.stdin.resume();
await new Promise((resolve) => process.stdin.on("end", resolve).on("close", resolve));
await db.drop();
