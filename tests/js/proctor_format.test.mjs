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
