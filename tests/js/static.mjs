// Imports the page modules of cat_engine/server/static/ into a Node test.
//
// They are ES modules in .js files, and that folder has no package.json saying so (the server serves it as it is,
// and only page assets belong there). Node from 20.19 recognises them anyway; older Node (Debian 12 ships 18) would
// read them as CommonJS. So each test process copies the folder's scripts once into a temporary folder whose
// package.json declares "type": "module", and imports from there: relative imports between the modules still work.

import {copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {dirname, join} from "node:path";
import {fileURLToPath, pathToFileURL} from "node:url";

export const STATIC_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "cat_engine", "server", "static");

let copy = null;

function copied() {
  if (copy) return copy;
  copy = mkdtempSync(join(tmpdir(), "cat-static-"));
  for (const name of readdirSync(STATIC_DIR)) if (name.endsWith(".js")) copyFileSync(join(STATIC_DIR, name), join(copy, name));
  writeFileSync(join(copy, "package.json"), '{"type": "module"}\n');
  process.on("exit", () => rmSync(copy, {recursive: true, force: true}));
  return copy;
}

// load("proctor_model.js") -> the module's namespace
export function load(name) {
  return import(pathToFileURL(join(copied(), name)).href);
}
