// How the proctor console writes numbers, clocks and times (pure: the language's locale, the texts and the server
// time come in as arguments).

export const localeOf = (lang) => (lang === "id" ? "id-ID" : "en-GB");

// A number with `digits` decimals in the locale ("0,42" in Indonesian); "—" for none.
export function num(value, locale, digits = 2) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return Number(value).toLocaleString(locale, {minimumFractionDigits: digits, maximumFractionDigits: digits});
}

// Seconds left as m:ss or h:mm:ss, rounded up (a clock shows 0:00 only once the time is really up); "—" for none.
export function clock(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const s = Math.max(0, Math.ceil(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

// How long ago server time `ms` was at server time `nowMs`, in words (`t` is the page's text lookup).
export function ago(ms, nowMs, t) {
  if (ms === null || ms === undefined) return "—";
  const s = Math.max(0, Math.floor((nowMs - ms) / 1000));
  if (s < 5) return t("ago_now");
  if (s < 60) return t("ago_s", {n: s});
  if (s < 3600) return t("ago_m", {n: Math.floor(s / 60)});
  return t("ago_h", {h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60)});
}

export function timeOfDay(ms, locale) {
  return new Date(ms).toLocaleTimeString(locale, {hour: "2-digit", minute: "2-digit", second: "2-digit"});
}

// Tick labels of the chart: as few decimals as show the value exactly (0, 1 or 2).
export function tickLabel(value, locale) {
  const digits = [0, 1, 2].find((d) => Math.abs(Math.round(value * 10 ** d) - value * 10 ** d) < 1e-6) ?? 2;
  return num(value, locale, digits);
}

// What a proctor typed, ready to send as a note's or a message's `text`: line breaks as LF, tabs as spaces, other
// control characters (which the server refuses) dropped, and no blank lines or spaces at either end.
export function cleanText(typed) {
  return String(typed ?? "")
    .replace(/\r\n?/g, "\n")
    .replace(/\t/g, " ")
    .replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, "")
    .trim();
}

// Characters as the server counts them (code points: an emoji is one, not two UTF-16 units).
export const charCount = (text) => [...String(text ?? "")].length;

// The seat (the computer's id) as the table shows it: its last 4 characters, "—" for none, and words for a request
// from a computer that sent no id ("" in `seat_request`).
export function seatLabel(device, t) {
  if (device === "") return t("seat_no_id");
  if (typeof device !== "string") return "—";
  return device.slice(-4);
}
