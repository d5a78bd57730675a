// The pages' texts: every text in Bahasa Indonesia (the default) has its English twin, with the same placeholders.

import assert from "node:assert/strict";
import {test} from "node:test";
import {load} from "./static.mjs";

const placeholders = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

for (const page of ["candidate", "proctor", "admin"]) {
  test(`${page}: the same keys and placeholders in id and en`, async () => {
    const {TEXTS} = await load(`${page}_texts.js`);
    assert.deepEqual(Object.keys(TEXTS.en).sort(), Object.keys(TEXTS.id).sort());
    assert.equal(TEXTS.id.__lang, "id");
    assert.equal(TEXTS.en.__lang, "en");
    for (const key of Object.keys(TEXTS.id)) {
      assert.deepEqual(placeholders(TEXTS.en[key]), placeholders(TEXTS.id[key]), key);
    }
  });
}

test("a text looked up falls back to Indonesian, then to its key", async () => {
  const {makeT} = await load("i18n.js");
  const t = makeT({id: {a: "satu {n}", b: "dua"}, en: {a: "one {n}"}}, "en");
  assert.equal(t("a", {n: 1}), "one 1");
  assert.equal(t("b"), "dua");
  assert.equal(t("c"), "c");
  assert.equal(t("a"), "one {n}");
});
