// proctor_format.js: how the console writes numbers, clocks and times.

import assert from "node:assert/strict";
import {test} from "node:test";
import {load} from "./static.mjs";

const F = await load("proctor_format.js");
const {TEXTS} = await load("proctor_texts.js");
const {makeT} = await load("i18n.js");

test("clocks: m:ss or h:mm:ss, rounded up; none", () => {
  assert.equal(F.clock(null), "—");
  assert.equal(F.clock(0), "0:00");
  assert.equal(F.clock(0.2), "0:01");
  assert.equal(F.clock(-5), "0:00");
  assert.equal(F.clock(1702.3), "28:23");
  assert.equal(F.clock(3600), "1:00:00");
  assert.equal(F.clock(3725), "1:02:05");
});

test("how long ago, in each language", () => {
  const id = makeT(TEXTS, "id");
  const en = makeT(TEXTS, "en");
  const now = 1_796_300_000_000;
  assert.equal(F.ago(null, now, id), "—");
  assert.equal(F.ago(now - 4999, now, id), "baru saja");
  assert.equal(F.ago(now - 42_000, now, id), "42 dtk lalu");
  assert.equal(F.ago(now - 6 * 60_000, now, id), "6 mnt lalu");
  assert.equal(F.ago(now - (2 * 3600 + 5 * 60) * 1000, now, en), "2 h 5 min ago");
  assert.equal(F.ago(now + 3000, now, en), "just now"); // a clock a little ahead is not the future
});

test("numbers in the locale, when the runtime has its data", () => {
  assert.equal(F.num(null, "en-GB"), "—");
  assert.equal(F.num(Number.NaN, "en-GB"), "—");
  assert.equal(F.num(0.4213, "en-GB"), "0.42");
  assert.equal(F.num(0.5, "en-GB", 3), "0.500");
  assert.equal(F.localeOf("id"), "id-ID");
  assert.equal(F.localeOf("en"), "en-GB");
  assert.equal(F.tickLabel(2, "en-GB"), "2");
  assert.equal(F.tickLabel(0.5, "en-GB"), "0.5");
  assert.equal(F.tickLabel(0.25, "en-GB"), "0.25");
  if (new Intl.NumberFormat("id-ID").resolvedOptions().locale === "id-ID") assert.equal(F.num(0.4213, "id-ID"), "0,42");
});

test("texts for a note or a message: line breaks kept as LF, tabs as spaces, control characters dropped, trimmed", () => {
  assert.equal(F.cleanText("  Layar berkedip;\r\npindah ke meja 12\r\n\n "), "Layar berkedip;\npindah ke meja 12");
  assert.equal(F.cleanText("a\tb\rc"), "a b\nc");
  assert.equal(F.cleanText("x\u0000y\u0007z\u007f\u0085w\u001b"), "xyzw");
  assert.equal(F.cleanText(" \n\t "), "");
  assert.equal(F.cleanText(null), "");
  assert.equal(F.cleanText("Nguyễn Văn An 王小明"), "Nguyễn Văn An 王小明");
  // counted as the server counts: code points
  assert.equal(F.charCount("abc"), 3);
  assert.equal(F.charCount("👍👍"), 2);
  assert.equal("👍👍".length, 4);
  assert.equal(F.charCount(""), 0);
});

test("the seat: the device id's last 4 characters, a dash for none, words for a computer without an id", () => {
  const id = makeT(TEXTS, "id");
  const en = makeT(TEXTS, "en");
  assert.equal(F.seatLabel("k3Vq9ZxT2mLp8RwA4cEy1B", id), "Ey1B");
  assert.equal(F.seatLabel("deviceAAAA1111", en), "1111");
  assert.equal(F.seatLabel(null, id), "—");
  assert.equal(F.seatLabel(undefined, id), "—");
  assert.equal(F.seatLabel("", id), "komputer tanpa id");
  assert.equal(F.seatLabel("", en), "a computer without an id");
});
