// The pages' texts: every text in Bahasa Indonesia (the default) has its English twin, with the same placeholders.

import assert from "node:assert/strict";
import {readFileSync} from "node:fs";
import {join} from "node:path";
import {test} from "node:test";
import {load, STATIC_DIR} from "./static.mjs";

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

test("the texts the connection's troubles show exist (a missing key would show as the key itself)", async () => {
  const candidate = (await load("candidate_texts.js")).TEXTS;
  const {bannerKey} = await load("candidate_state.js");
  for (const note of [null, "busy", "windows"]) {
    for (const everConnected of [false, true]) {
      const key = bannerKey({note, everConnected});
      assert.ok(candidate.id[key] && candidate.en[key], key);
    }
  }
  const proctor = (await load("proctor_texts.js")).TEXTS;
  for (const key of ["rate_limited", "rate_cmd", "rate_wait", "rate_detail", "too_many_consoles", "server_error"]) {
    assert.ok(proctor.id[key] && proctor.en[key], key);
  }
  assert.deepEqual(placeholders(proctor.en.rate_cmd), ["cmd", "s", "who"]);
});

test("admin: the keys the page looks up exist (its snake_case literals, the HTML's data-i18n)", async () => {
  const {TEXTS} = await load("admin_texts.js");
  const read = (name) => readFileSync(join(STATIC_DIR, name), "utf8");
  const script = read("admin.js") + read("admin_view.js");
  const used = [...script.matchAll(/"([a-z][a-z0-9]*(?:_[a-z0-9]+)+)"/g)].map((m) => m[1]);
  const html = read("admin.html");
  used.push(...[...html.matchAll(/data-i18n="(\w+)"/g)].map((m) => m[1]));
  used.push(...[...html.matchAll(/data-i18n-attr="\w+:(\w+)"/g)].map((m) => m[1]));
  for (const key of ["reissue_one_label", "held_some", "cf_proctor_note", "cancel", "col_action"]) assert.ok(used.includes(key), key);
  for (const key of new Set(used)) assert.ok(TEXTS.id[key] && TEXTS.en[key], key);
});

test("a text looked up falls back to Indonesian, then to its key", async () => {
  const {makeT} = await load("i18n.js");
  const t = makeT({id: {a: "satu {n}", b: "dua"}, en: {a: "one {n}"}}, "en");
  assert.equal(t("a", {n: 1}), "one 1");
  assert.equal(t("b"), "dua");
  assert.equal(t("c"), "c");
  assert.equal(t("a"), "one {n}");
});
