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

test("candidate: the keys the page looks up exist (its t() calls, the state's keys, the HTML's data-i18n)", async () => {
  const {TEXTS} = await load("candidate_texts.js");
  const C = await load("candidate_state.js");
  const read = (name) => readFileSync(join(STATIC_DIR, name), "utf8");
  const script = read("candidate.js") + read("candidate_view.js");
  const used = [];
  // every string literal inside a t(...) call, so `t(done ? "practice_next" : "submit")` counts both
  for (const call of script.matchAll(/\bt\(([^()]*(?:\([^()]*\)[^()]*)*)\)/g)) {
    used.push(...[...call[1].matchAll(/"([a-z][a-z0-9_]*)"/g)].map((m) => m[1]));
  }
  const html = read("candidate.html");
  used.push(...[...html.matchAll(/data-i18n="(\w+)"/g)].map((m) => m[1]));
  used.push(...[...html.matchAll(/data-i18n-attr="\w+:(\w+)"/g)].map((m) => m[1]));
  // keys made by the state module and by templates
  for (const reason of ["room_closed", "other"]) used.push(C.waitingKey(reason));
  for (const seconds of [null, 30, 1800]) used.push(C.limitText(seconds).key);
  for (const reason of ["completed", "time_up"]) used.push(C.previousKey({name: "S", reason}));
  for (const fields of [{}, {selected: 1}, {saving: true}, {offline: true}, {itemError: "bad_response"}]) {
    used.push(C.hintKey({itemError: null, saving: false, offline: false, selected: null, ...fields}));
  }
  for (const seconds of [600, 90, 45]) used.push(C.addedText(seconds).key);
  used.push(C.noticeFor({type: "item", seq: 1}, "paused").key);
  for (const step of ["done", "current", "todo"]) used.push(`step_${step}`);
  for (const level of [1, 2, 3, 4, 5]) used.push(`level_${level}`);
  const expected = ["waiting_room_closed", "its_me", "instr_final", "practice_done", "intro_countdown", "begin_start", "limit_none"];
  expected.push("approval_title", "approval_text", "denied_title", "denied_retry", "moved_title", "moved_button");
  expected.push("takeover_title", "message_from", "message_close", "time_added_minutes", "notice_resumed");
  for (const key of expected) {
    assert.ok(used.includes(key), key);
  }
  for (const key of new Set(used)) assert.ok(TEXTS.id[key] && TEXTS.en[key], key);
});

test("candidate: the closed room's wait and the confirmation say what the protocol asks, in both languages", async () => {
  const {TEXTS} = await load("candidate_texts.js");
  assert.equal(TEXTS.id.waiting_room_closed, "Ruang belum dibuka oleh pengawas. Mohon tunggu.");
  assert.equal(TEXTS.id.its_me, "Ini saya");
  assert.match(TEXTS.id.not_me, /^Bukan saya\? Hubungi pengawas/);
  assert.match(TEXTS.id.instr_final, /tidak dapat diubah/);
  assert.match(TEXTS.en.instr_final, /cannot be changed/);
  assert.equal(TEXTS.id.begin_start, "Mulai tes");
});

test("candidate: seats, messages and notices say what the protocol asks, in both languages", async () => {
  const {TEXTS} = await load("candidate_texts.js");
  const {makeT} = await load("i18n.js");
  const C = await load("candidate_state.js");
  const id = makeT(TEXTS, "id");
  const en = makeT(TEXTS, "en");
  assert.equal(
    TEXTS.id.approval_text,
    "Tes Anda sedang berjalan di komputer lain. Pengawas perlu menyetujui pindah ke komputer ini. Mohon tunggu.",
  );
  assert.match(TEXTS.en.approval_text, /another computer.*proctor.*approve/);
  assert.equal(TEXTS.id.moved_title, "Tes dipindahkan ke komputer lain atas persetujuan pengawas");
  assert.equal(TEXTS.id.moved_button, "Sambungkan lagi");
  assert.match(TEXTS.id.denied_title, /tidak menyetujui/);
  assert.match(TEXTS.id.denied_text, /komputer pertama.*hubungi pengawas/);
  assert.match(TEXTS.en.denied_text, /first computer.*call the proctor/);
  assert.equal(TEXTS.id.denied_retry, "Coba lagi");
  assert.equal(TEXTS.id.message_close, "Tutup");
  const added = C.addedText(600);
  assert.equal(id(added.key, added.vars), "Waktu ditambah 10 menit");
  assert.equal(en(added.key, added.vars), "Time extended by 10 min");
  const odd = C.addedText(150);
  assert.equal(id(odd.key, odd.vars), "Waktu ditambah 2 menit 30 detik");
  assert.equal(TEXTS.id.notice_resumed, "Tes dilanjutkan");
});
