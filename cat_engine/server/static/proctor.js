// The proctor console (docs/protocol.md, "Proctor: /ws/proctor"): a live table of the room from the snapshot and
// the event stream, disconnect alerts, confirmed commands (pause, resume, extend, terminate) per candidate or for
// the whole room, a candidate detail view with a chart of theta and SE, and the room's results as CSV.
//
// State model. The snapshot is authoritative; events after it are applied on top. Events are deduplicated by their
// stream id (ids only increase), so a replay after a reconnect changes nothing twice. After a reconnect the server
// sends a fresh snapshot and then every event after our last_event_id: the ones up to the snapshot's own
// last_event_id are already part of the snapshot, so they are only recorded as history (chart points, subtest
// results) without moving counters or clocks. Counts are set from positions where possible (an item presented at
// position p means p - 1 answers in that subtest; an answer for seq s at position p means p answers), not
// incremented, so an event seen twice cannot count twice; `answered` events are also deduplicated per seq.

import {applyTexts, currentLang, languageSwitch, makeT} from "./i18n.js";
import {ReconnectingSocket} from "./socket.js";
import {lineChart} from "./chart.js";

const TEXTS = {
  id: {
    __lang: "id",
    page_title: "Konsol Pengawas CAT",
    title: "Konsol Pengawas",
    signin_h: "Masuk sebagai pengawas",
    signin_help: "Ketik token pengawas ruang ini (dari admin). Token disimpan hanya selama tab ini terbuka.",
    token_label: "Token pengawas",
    signin_btn: "Masuk",
    signin_connecting: "Menghubungkan ke server…",
    signout: "Keluar",
    reconnect: "Sambung ulang",
    bad_token: "Token pengawas tidak dikenal atau sudah kedaluwarsa. Periksa token dari admin.",
    conn_idle: "Belum terhubung",
    conn_connecting: "Menghubungkan…",
    conn_open: "Terhubung",
    conn_waiting: "Terputus — mencoba lagi…",
    conn_title_waiting: "Koneksi ke server terputus. Konsol menyambung ulang sendiri; tidak ada kejadian yang terlewat.",
    room_meta: "{room} · {battery}",
    counts_label: "Jumlah peserta per status (klik untuk menyaring)",
    count_all: "Semua",
    count_attention: "Perlu perhatian",
    st_ready: "Belum mulai",
    st_active: "Aktif",
    st_disconnected: "Terputus",
    st_paused: "Dijeda",
    st_finished: "Selesai",
    st_terminated: "Dihentikan",
    idle_for: "Diam {n} mnt",
    idle_title: "Tidak ada jawaban selama {n} menit",
    paused_offline: "terputus",
    room_actions: "Tindakan untuk seluruh ruang",
    room_pause: "Jeda semua",
    room_resume: "Lanjutkan semua",
    room_extend: "+Waktu semua",
    room_terminate: "Hentikan semua",
    room_pause_title: "Jeda semua peserta yang sedang aktif (dengan konfirmasi)",
    room_resume_title: "Lanjutkan semua peserta yang dijeda (dengan konfirmasi)",
    room_extend_title: "Tambah waktu subtes semua peserta yang sedang mengerjakan (dengan konfirmasi)",
    room_terminate_title: "Hentikan tes semua peserta yang belum selesai (dengan konfirmasi)",
    download: "Unduh hasil (CSV)",
    download_busy: "Mengunduh…",
    table_caption: "Peserta di ruang ini",
    col_no: "No.",
    col_who: "Peserta",
    col_status: "Status",
    col_subtest: "Subtes",
    col_answered: "Dijawab",
    col_se: "Ketelitian (SE)",
    col_time: "Sisa waktu",
    col_seen: "Terakhir aktif",
    col_actions: "Tindakan",
    answered_title: "Subtes ini: {sub} butir; seluruh tes: {total} butir",
    se_title: "SE {se}, target {target}",
    se_reached: "Target ketelitian tercapai",
    hint: "Klik baris atau tekan Enter untuk melihat rincian peserta. Panah atas/bawah berpindah baris.",
    empty_room: "Belum ada peserta terdaftar di ruang ini.",
    empty_filter: "Tidak ada peserta dengan status ini.",
    act_pause: "Jeda",
    act_resume: "Lanjutkan",
    act_extend: "+Waktu",
    act_terminate: "Hentikan",
    act_pause_title: "Jeda tes {name}",
    act_resume_title: "Lanjutkan tes {name}",
    act_extend_title: "Tambah waktu subtes {name}",
    act_terminate_title: "Hentikan tes {name}",
    ago_now: "baru saja",
    ago_s: "{n} dtk lalu",
    ago_m: "{n} mnt lalu",
    ago_h: "{h} j {m} mnt lalu",
    alerts_h: "{n} peserta terputus",
    alert_text: "terputus sejak {time} ({ago})",
    alert_show: "Lihat",
    alert_dismiss: "Abaikan",
    alert_announce: "Peringatan: {name} terputus.",
    dismiss_all: "Abaikan semua",
    cf_pause_h: "Jeda tes?",
    cf_resume_h: "Lanjutkan tes?",
    cf_extend_h: "Tambah waktu?",
    cf_terminate_h: "Hentikan tes?",
    cf_pause_one: "Peserta ini tidak bisa menjawab sampai tesnya dilanjutkan; waktunya berhenti selama dijeda.",
    cf_pause_room: "{n} peserta yang sedang aktif akan dijeda; mereka tidak bisa menjawab sampai dilanjutkan.",
    cf_resume_one: "Peserta ini dapat menjawab lagi; waktunya berjalan kembali.",
    cf_resume_room: "{n} peserta yang dijeda akan dilanjutkan.",
    cf_extend_one: "Waktu subtes yang sedang berjalan akan ditambah.",
    cf_extend_room: "Waktu subtes yang sedang berjalan akan ditambah untuk {n} peserta.",
    cf_terminate_one: "Tes peserta ini berakhir dan tidak dapat dilanjutkan lagi. Hasil subtes yang sudah dijawab tetap tersimpan.",
    cf_terminate_room: "Tes {n} peserta yang belum selesai berakhir dan tidak dapat dilanjutkan lagi.",
    cf_more: "dan {n} lainnya",
    reason_optional: "Alasan (opsional, ditampilkan kepada peserta)",
    reason_required: "Alasan penghentian (wajib, dicatat)",
    minutes_label: "Tambahan waktu (menit)",
    err_reason: "Isi alasan penghentian.",
    err_minutes: "Isi jumlah menit antara 1 dan 1440.",
    err_offline: "Belum terhubung ke server; perintah tidak dikirim.",
    cancel: "Batal",
    ok_pause: "Jeda",
    ok_resume: "Lanjutkan",
    ok_extend: "Tambah waktu",
    ok_terminate: "Hentikan tes",
    cmd_pause: "Jeda",
    cmd_resume: "Lanjutkan",
    cmd_extend: "Tambah waktu",
    cmd_terminate: "Hentikan",
    done_pause: "dijeda",
    done_resume: "dilanjutkan",
    done_extend: "waktunya ditambah {min} menit",
    done_terminate: "dihentikan",
    ack_one_ok: "{name}: {done}.",
    ack_one_fail: "{name}: {cmd} gagal — {why}",
    ack_room: "{cmd} seluruh ruang: {ok} berhasil.",
    ack_room_skipped: "{n} dilewati karena keadaannya tidak sesuai (bad_command): {list}.",
    ack_room_failed: "Gagal: {list}",
    ack_lost: "Koneksi putus sebelum server menjawab perintah “{cmd}” ({who}). Periksa statusnya di tabel sebelum mengulang.",
    all_room: "seluruh ruang",
    code_bad_command: "keadaan sesi tidak memungkinkan",
    code_not_found: "sesi tidak ada lagi",
    code_forbidden: "bukan peserta ruang ini",
    server_error: "Server menolak: {message}",
    dl_ok: "Hasil diunduh: {file}.",
    dl_auth: "Token pengawas tidak berlaku untuk unduhan.",
    dl_fail: "Unduhan gagal (HTTP {status}).",
    dl_net: "Server tidak dapat dihubungi untuk unduhan.",
    close: "Tutup",
    dismiss: "Tutup pesan",
    detail_ids: "NIP {emp} · Sesi {sid}",
    f_subtest: "Subtes",
    f_answered: "Dijawab",
    f_estimate: "θ / SE terakhir",
    f_time: "Sisa waktu",
    f_seen: "Terakhir aktif",
    f_pause_reason: "Alasan jeda",
    f_term_reason: "Alasan penghentian",
    answered_fact: "{sub} di subtes ini · {total} total",
    results_h: "Hasil per subtes",
    r_subtest: "Subtes",
    r_items: "Butir",
    r_theta: "θ",
    r_se: "SE",
    r_level: "Level",
    r_score: "Skor",
    r_stop: "Keterangan",
    r_current: "sedang berjalan",
    r_not_reached: "belum dimulai",
    stop_se_target: "SE tercapai",
    stop_classified: "terklasifikasi",
    stop_max_items: "butir maksimum",
    stop_pool_exhausted: "bank soal habis",
    stop_time_up: "waktu habis",
    stop_terminated: "dihentikan",
    chart_h: "Estimasi setelah tiap jawaban",
    chart_tabs: "Pilih subtes untuk grafik",
    chart_title: "θ dan SE {name}, {subtest}: {n} jawaban",
    chart_desc: "Terakhir: θ {theta}, SE {se}; target SE {target}.",
    chart_empty: "Belum ada jawaban di subtes ini.",
    chart_loading: "Memuat rincian…",
    chart_error: "Rincian tidak dapat dimuat: {message}",
    axis_x: "Butir ke-",
    axis_theta: "θ ± SE",
    axis_se: "SE",
    legend_theta: "θ (kemampuan) dengan pita ±SE",
    legend_se: "SE",
    legend_target: "Target SE",
  },
  en: {
    __lang: "en",
    page_title: "CAT Proctor Console",
    title: "Proctor console",
    signin_h: "Sign in as proctor",
    signin_help: "Type this room's proctor token (from the administrator). It is kept only while this tab is open.",
    token_label: "Proctor token",
    signin_btn: "Sign in",
    signin_connecting: "Connecting to the server…",
    signout: "Sign out",
    reconnect: "Reconnect",
    bad_token: "Unknown or expired proctor token. Check the token from the administrator.",
    conn_idle: "Not connected",
    conn_connecting: "Connecting…",
    conn_open: "Connected",
    conn_waiting: "Disconnected — retrying…",
    conn_title_waiting: "The connection to the server dropped. The console reconnects by itself; no event is missed.",
    room_meta: "{room} · {battery}",
    counts_label: "Candidates per status (click to filter)",
    count_all: "All",
    count_attention: "Need attention",
    st_ready: "Not started",
    st_active: "Active",
    st_disconnected: "Disconnected",
    st_paused: "Paused",
    st_finished: "Finished",
    st_terminated: "Terminated",
    idle_for: "Idle {n} min",
    idle_title: "No answer for {n} minutes",
    paused_offline: "offline",
    room_actions: "Actions for the whole room",
    room_pause: "Pause all",
    room_resume: "Resume all",
    room_extend: "+Time for all",
    room_terminate: "Terminate all",
    room_pause_title: "Pause every active candidate (asks for confirmation)",
    room_resume_title: "Resume every paused candidate (asks for confirmation)",
    room_extend_title: "Extend the subtest time of every candidate under way (asks for confirmation)",
    room_terminate_title: "Terminate the test of every candidate not yet finished (asks for confirmation)",
    download: "Download results (CSV)",
    download_busy: "Downloading…",
    table_caption: "Candidates in this room",
    col_no: "No.",
    col_who: "Candidate",
    col_status: "Status",
    col_subtest: "Subtest",
    col_answered: "Answered",
    col_se: "Precision (SE)",
    col_time: "Time left",
    col_seen: "Last seen",
    col_actions: "Actions",
    answered_title: "This subtest: {sub} items; whole test: {total} items",
    se_title: "SE {se}, target {target}",
    se_reached: "Precision target reached",
    hint: "Click a row or press Enter for the candidate's details. Up/down arrows move between rows.",
    empty_room: "No candidates registered in this room yet.",
    empty_filter: "No candidates with this status.",
    act_pause: "Pause",
    act_resume: "Resume",
    act_extend: "+Time",
    act_terminate: "Terminate",
    act_pause_title: "Pause {name}'s test",
    act_resume_title: "Resume {name}'s test",
    act_extend_title: "Extend {name}'s subtest time",
    act_terminate_title: "Terminate {name}'s test",
    ago_now: "just now",
    ago_s: "{n} s ago",
    ago_m: "{n} min ago",
    ago_h: "{h} h {m} min ago",
    alerts_h: "{n} candidate(s) disconnected",
    alert_text: "disconnected since {time} ({ago})",
    alert_show: "Show",
    alert_dismiss: "Dismiss",
    alert_announce: "Alert: {name} disconnected.",
    dismiss_all: "Dismiss all",
    cf_pause_h: "Pause the test?",
    cf_resume_h: "Resume the test?",
    cf_extend_h: "Extend the time?",
    cf_terminate_h: "Terminate the test?",
    cf_pause_one: "This candidate cannot answer until the test is resumed; their clock stops while paused.",
    cf_pause_room: "{n} active candidates will be paused; they cannot answer until resumed.",
    cf_resume_one: "This candidate can answer again; their clock runs again.",
    cf_resume_room: "{n} paused candidates will be resumed.",
    cf_extend_one: "The time of the subtest under way will be extended.",
    cf_extend_room: "The time of the subtest under way will be extended for {n} candidates.",
    cf_terminate_one: "This candidate's test ends for good and cannot be continued. Results of the subtests answered so far are kept.",
    cf_terminate_room: "The tests of {n} candidates not yet finished end for good and cannot be continued.",
    cf_more: "and {n} more",
    reason_optional: "Reason (optional, shown to the candidate)",
    reason_required: "Reason for terminating (required, recorded)",
    minutes_label: "Extra time (minutes)",
    err_reason: "Enter the reason for terminating.",
    err_minutes: "Enter a number of minutes from 1 to 1440.",
    err_offline: "Not connected to the server; the command was not sent.",
    cancel: "Cancel",
    ok_pause: "Pause",
    ok_resume: "Resume",
    ok_extend: "Extend time",
    ok_terminate: "Terminate test",
    cmd_pause: "Pause",
    cmd_resume: "Resume",
    cmd_extend: "Extend time",
    cmd_terminate: "Terminate",
    done_pause: "paused",
    done_resume: "resumed",
    done_extend: "time extended by {min} min",
    done_terminate: "terminated",
    ack_one_ok: "{name}: {done}.",
    ack_one_fail: "{name}: {cmd} failed — {why}",
    ack_room: "{cmd} for the whole room: {ok} done.",
    ack_room_skipped: "{n} skipped, their state does not allow it (bad_command): {list}.",
    ack_room_failed: "Failed: {list}",
    ack_lost: "The connection dropped before the server answered “{cmd}” ({who}). Check the status in the table before repeating it.",
    all_room: "whole room",
    code_bad_command: "the session's state does not allow it",
    code_not_found: "the session no longer exists",
    code_forbidden: "not a candidate of this room",
    server_error: "The server refused: {message}",
    dl_ok: "Results downloaded: {file}.",
    dl_auth: "The proctor token is not valid for the download.",
    dl_fail: "Download failed (HTTP {status}).",
    dl_net: "The server could not be reached for the download.",
    close: "Close",
    dismiss: "Dismiss message",
    detail_ids: "Employee ID {emp} · Session {sid}",
    f_subtest: "Subtest",
    f_answered: "Answered",
    f_estimate: "Last θ / SE",
    f_time: "Time left",
    f_seen: "Last seen",
    f_pause_reason: "Pause reason",
    f_term_reason: "Termination reason",
    answered_fact: "{sub} in this subtest · {total} in all",
    results_h: "Results per subtest",
    r_subtest: "Subtest",
    r_items: "Items",
    r_theta: "θ",
    r_se: "SE",
    r_level: "Level",
    r_score: "Score",
    r_stop: "Note",
    r_current: "in progress",
    r_not_reached: "not started",
    stop_se_target: "SE reached",
    stop_classified: "classified",
    stop_max_items: "max items",
    stop_pool_exhausted: "pool exhausted",
    stop_time_up: "time up",
    stop_terminated: "terminated",
    chart_h: "Estimate after each answer",
    chart_tabs: "Choose the subtest to chart",
    chart_title: "θ and SE of {name}, {subtest}: {n} answers",
    chart_desc: "Last: θ {theta}, SE {se}; SE target {target}.",
    chart_empty: "No answer in this subtest yet.",
    chart_loading: "Loading details…",
    chart_error: "The details could not be loaded: {message}",
    axis_x: "Item no.",
    axis_theta: "θ ± SE",
    axis_se: "SE",
    legend_theta: "θ (ability) with ±SE band",
    legend_se: "SE",
    legend_target: "SE target",
  },
};

const TOKEN_KEY = "cat.proctor.token";
const RESUME_KEY = "cat.proctor.resume";
const STUCK_MS = 5 * 60 * 1000; // an active, connected candidate without an answer for this long needs a look
const PING_MS = 20000;
const SILENT_MS = 50000; // no frame (not even a pong) for this long: the connection is dead, drop it
const CATEGORIES = ["active", "disconnected", "paused", "ready", "finished", "terminated"];
const STATUS_RANK = {disconnected: 0, paused: 1, stuck: 2, active: 3, ready: 4, finished: 5, terminated: 6};
const BADGE = {active: "ok", disconnected: "bad", paused: "warn", ready: "idle", finished: "info", terminated: "dark"};

let lang = currentLang();
let t = makeT(TEXTS, lang);

const $ = (id) => document.getElementById(id);

const state = {
  token: null,
  socket: null,
  conn: "idle",
  live: false, // a snapshot arrived on the current connection
  room: null,
  sessions: new Map(),
  order: [],
  lastEventId: null,
  watermark: null, // the snapshot's last_event_id: events up to it are history
  alerts: new Map(), // session_id -> {since, dismissed}
  sort: {key: "order", dir: 1},
  filter: "all",
  pending: new Map(), // command id -> {kind, sid (null: the room), targets, minutes}
  nextId: 1,
  detail: null, // {sid, reqId, loading, error, tab, returnFocus}
  clockOffset: null, // server ms - client ms (a lower bound, refined by live events)
  lastFrameAt: 0,
  rowEls: new Map(),
  renderQueued: false,
  downloading: false,
  resultsDirty: false,
  restored: null, // what sessionStorage kept for this token (subtest results), applied to the next snapshot
};
const stats = {hellos: [], snapshots: 0, events: 0, history: 0, duplicates: 0};
window.catProctor = {
  get socket() {
    return state.socket;
  },
  stats,
  state,
};

// --- formatting -----------------------------------------------------------------------------------------------

const locale = () => (lang === "id" ? "id-ID" : "en-GB");

function num(value, digits = 2) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return Number(value).toLocaleString(locale(), {minimumFractionDigits: digits, maximumFractionDigits: digits});
}

function clock(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const s = Math.max(0, Math.ceil(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

const serverNow = () => Date.now() + (state.clockOffset ?? 0);

function ago(ms) {
  if (ms === null || ms === undefined) return "—";
  const s = Math.max(0, Math.floor((serverNow() - ms) / 1000));
  if (s < 5) return t("ago_now");
  if (s < 60) return t("ago_s", {n: s});
  if (s < 3600) return t("ago_m", {n: Math.floor(s / 60)});
  return t("ago_h", {h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60)});
}

function timeOfDay(ms) {
  return new Date(ms).toLocaleTimeString(locale(), {hour: "2-digit", minute: "2-digit", second: "2-digit"});
}

function compareIds(a, b) {
  const [am, an] = String(a).split("-").map(Number);
  const [bm, bn] = String(b).split("-").map(Number);
  return am !== bm ? am - bm : (an || 0) - (bn || 0);
}

// --- the session model --------------------------------------------------------------------------------------

function newSession(view) {
  return {
    id: view.session_id,
    answeredSeqs: new Set(),
    seqPos: new Map(), // seq -> {subtest, position}
    points: new Map(), // subtest index -> Map(position -> {theta, se})
    results: new Map(), // subtest index -> {items, theta, se, level, scaled_score, stop_reason}
    doneSubtests: new Set(),
    timeLeft: null,
    timeAt: performance.now(),
  };
}

function sessionNumber(s) {
  const tail = s.id.split("-").pop();
  return /^\d+$/.test(tail) ? String(Number(tail)) : String(state.order.indexOf(s.id) + 1);
}

function timeLeftNow(s) {
  if (s.timeLeft === null || s.timeLeft === undefined) return null;
  if (s.phase === "active" && s.connected) return Math.max(0, s.timeLeft - (performance.now() - s.timeAt) / 1000);
  return s.timeLeft;
}

// Fix the local countdown at its current value before the phase or the connection changes.
function freezeClock(s) {
  s.timeLeft = timeLeftNow(s);
  s.timeAt = performance.now();
}

function category(s) {
  if (s.phase === "active") return s.connected ? "active" : "disconnected";
  return s.phase;
}

function idleMinutes(s) {
  if (s.phase !== "active" || !s.connected || s.last_seen_ms === null || s.last_seen_ms === undefined) return 0;
  const idle = serverNow() - s.last_seen_ms;
  return idle >= STUCK_MS ? Math.floor(idle / 60000) : 0;
}

function statusKey(s) {
  const cat = category(s);
  return cat === "active" && idleMinutes(s) ? "stuck" : cat;
}

const needsAttention = (s) => ["disconnected", "paused", "stuck"].includes(statusKey(s));

function subtestInfo(index) {
  return state.room?.subtests?.[index] ?? null;
}

function allowed(s, kind) {
  switch (kind) {
    case "pause":
      return s.phase === "active";
    case "resume":
      return s.phase === "paused";
    case "extend":
      return (s.phase === "active" || s.phase === "paused") && subtestInfo(s.subtest_index)?.time_limit_s != null;
    case "terminate":
      return s.phase === "ready" || s.phase === "active" || s.phase === "paused";
    default:
      return false;
  }
}

function syncAlert(s) {
  const alerting = s.phase === "active" && !s.connected;
  if (!alerting) {
    state.alerts.delete(s.id);
  } else if (!state.alerts.has(s.id)) {
    state.alerts.set(s.id, {since: s.last_seen_ms ?? serverNow(), dismissed: false});
    announce(t("alert_announce", {name: s.name}));
  }
}

function announce(message) {
  const region = $("alert-live");
  region.textContent = "";
  setTimeout(() => (region.textContent = message), 50);
}

function normalizeResult(r) {
  return {
    items: r.items_administered ?? r.items ?? null,
    theta: r.theta ?? null,
    se: r.se ?? null,
    level: r.level ?? null,
    scaled_score: r.scaled_score ?? null,
    stop_reason: r.stop_reason ?? null,
  };
}

function subtestIndexOf(id) {
  return state.room?.subtests?.findIndex((sub) => sub.id === id) ?? -1;
}

function applySnapshot(frame) {
  stats.snapshots += 1;
  state.room = frame.room;
  state.watermark = frame.last_event_id;
  if (state.lastEventId === null) state.lastEventId = frame.last_event_id;
  const fresh = new Map();
  for (const view of frame.sessions) {
    const s = state.sessions.get(view.session_id) ?? newSession(view);
    const over = view.phase === "finished" || view.phase === "terminated";
    Object.assign(s, {
      employee_id: view.employee_id,
      name: view.name,
      phase: view.phase,
      connected: Boolean(view.connected),
      subtest_index: view.subtest_index,
      answered: view.answered,
      doneTotal: view.answered_total - view.answered,
      theta: view.theta,
      se: view.se,
      se_target: view.se_target,
      timeLeft: view.time_left_s,
      timeAt: performance.now(),
      last_seen_ms: view.last_seen_ms,
      pause_reason: view.pause_reason ?? "",
      terminated_reason: view.terminated_reason ?? "",
    });
    const count = over ? state.room.subtests.length : view.subtest_index;
    s.doneSubtests = new Set(Array.from({length: count}, (_, i) => i));
    fresh.set(s.id, s);
    syncAlert(s);
  }
  for (const id of state.alerts.keys()) if (!fresh.has(id)) state.alerts.delete(id);
  state.sessions = fresh;
  state.order = frame.sessions.map((v) => v.session_id);
  restoreResults();
}

function positionOf(s, seq, subtest) {
  const known = s.seqPos.get(seq);
  if (known) return known.position;
  // seqs are consecutive within a subtest: any presented item of the same subtest anchors the position
  for (const [anchorSeq, at] of s.seqPos) {
    if (at.subtest === subtest) {
      const position = at.position + (seq - anchorSeq);
      if (position >= 1) return position;
    }
  }
  return null;
}

function addPoint(s, subtest, position, theta, se) {
  if (!s.points.has(subtest)) s.points.set(subtest, new Map());
  s.points.get(subtest).set(position, {theta, se});
}

function applyEvent(frame) {
  stats.events += 1;
  if (state.lastEventId !== null && compareIds(frame.id, state.lastEventId) <= 0) {
    stats.duplicates += 1;
    return;
  }
  const history = state.watermark !== null && compareIds(frame.id, state.watermark) <= 0;
  const s = state.sessions.get(frame.session_id);
  if (!s) {
    // history of a session no longer in the room: skip it. A live event of a candidate registered after our
    // snapshot: take a fresh snapshot (this event then comes again, as history)
    if (history) state.lastEventId = frame.id;
    else resync();
    return;
  }
  state.lastEventId = frame.id;
  if (history) stats.history += 1;
  const ev = frame.event ?? {};
  if (!history && typeof ev.at_ms === "number") clockSample(ev.at_ms - Date.now());
  switch (ev.type) {
    case "connected":
      if (!history) {
        freezeClock(s);
        s.connected = true;
        s.last_seen_ms = ev.at_ms;
      }
      break;
    case "disconnected":
      if (!history) {
        freezeClock(s);
        s.connected = false;
        s.last_seen_ms = ev.at_ms;
      }
      break;
    case "item_presented":
      s.seqPos.set(ev.seq, {subtest: ev.subtest, position: ev.position});
      if (!history) {
        const starts = ev.position === 1 && (ev.subtest !== s.subtest_index || s.phase === "ready");
        if (s.phase === "ready") s.phase = "active";
        if (starts) {
          s.subtest_index = ev.subtest;
          s.theta = s.se = null;
          s.se_target = subtestInfo(ev.subtest)?.se_target ?? s.se_target;
          s.timeLeft = subtestInfo(ev.subtest)?.time_limit_s ?? null;
          s.timeAt = performance.now();
        }
        if (ev.subtest === s.subtest_index && (s.phase === "active" || s.phase === "paused")) s.answered = ev.position - 1;
        s.last_seen_ms = ev.at_ms;
      }
      break;
    case "answered": {
      const position = positionOf(s, ev.seq, ev.subtest) ?? (history ? null : s.answered + 1);
      if (position !== null) {
        addPoint(s, ev.subtest, position, ev.theta, ev.se);
        if (!s.seqPos.has(ev.seq)) s.seqPos.set(ev.seq, {subtest: ev.subtest, position});
      }
      const seen = s.answeredSeqs.has(ev.seq);
      s.answeredSeqs.add(ev.seq);
      if (!history && !seen && ev.subtest === s.subtest_index && !s.doneSubtests.has(ev.subtest)) {
        s.answered = position ?? s.answered + 1;
        s.theta = ev.theta;
        s.se = ev.se;
        s.last_seen_ms = ev.at_ms;
      }
      break;
    }
    case "subtest_done":
      s.results.set(ev.subtest, normalizeResult(ev.result ?? {}));
      saveResume(true);
      if (!history && !s.doneSubtests.has(ev.subtest)) {
        s.doneSubtests.add(ev.subtest);
        const items = s.results.get(ev.subtest).items;
        if (ev.subtest === s.subtest_index) {
          s.doneTotal += items ?? s.answered;
          s.answered = 0;
        } else if (items !== null) {
          s.doneTotal += items;
        }
      }
      break;
    case "finished":
      for (const r of ev.profile?.subtests ?? []) {
        const index = subtestIndexOf(r.subtest_id ?? r.subtest);
        if (index >= 0) s.results.set(index, normalizeResult(r));
      }
      saveResume(true);
      if (!history) {
        endSitting(s);
        s.phase = "finished";
      }
      break;
    case "paused":
      if (!history) {
        freezeClock(s);
        s.phase = "paused";
        s.pause_reason = ev.reason ?? "";
      }
      break;
    case "resumed":
      if (!history) {
        freezeClock(s);
        s.phase = "active";
        s.pause_reason = "";
      }
      break;
    case "time_extended":
      if (!history && ev.subtest === s.subtest_index && s.timeLeft !== null) {
        freezeClock(s);
        s.timeLeft += ev.extra_ms / 1000;
      }
      break;
    case "terminated":
      if (!history) {
        endSitting(s);
        s.phase = "terminated";
        s.terminated_reason = ev.reason ?? "";
      }
      break;
    default:
      break;
  }
  syncAlert(s);
  saveResume(false);
  if (state.detail?.sid === s.id) queueDetail();
  queueRender();
}

// The sitting is over: the subtest under way counts as done (its answers move into the total).
function endSitting(s) {
  if (!s.doneSubtests.has(s.subtest_index)) {
    s.doneSubtests.add(s.subtest_index);
    s.doneTotal += s.answered;
  }
  s.answered = 0;
  s.timeLeft = null;
  s.pause_reason = "";
}

// --- persistence (this tab only) ----------------------------------------------------------------------------

let saveTimer = null;
function saveResume(withResults) {
  if (withResults) state.resultsDirty = true;
  if (saveTimer) return;
  saveTimer = setTimeout(() => {
    saveTimer = null;
    if (!state.token) return;
    let stored = {};
    try {
      stored = JSON.parse(sessionStorage.getItem(RESUME_KEY) || "{}");
    } catch {
      stored = {};
    }
    if (stored.token !== state.token) stored = {token: state.token, results: {}};
    stored.last_event_id = state.lastEventId;
    if (state.resultsDirty) {
      stored.results = {};
      for (const s of state.sessions.values()) {
        if (s.results.size) stored.results[s.id] = Object.fromEntries(s.results);
      }
      state.resultsDirty = false;
    }
    sessionStorage.setItem(RESUME_KEY, JSON.stringify(stored));
  }, 400);
}

function loadResume(token) {
  try {
    const stored = JSON.parse(sessionStorage.getItem(RESUME_KEY) || "{}");
    return stored.token === token ? stored : null;
  } catch {
    return null;
  }
}

function restoreResults() {
  const stored = state.restored;
  if (!stored?.results) return;
  for (const [sid, results] of Object.entries(stored.results)) {
    const s = state.sessions.get(sid);
    if (!s) continue;
    for (const [index, r] of Object.entries(results)) if (!s.results.has(Number(index))) s.results.set(Number(index), r);
  }
  state.restored = null;
}

// --- connection ---------------------------------------------------------------------------------------------

function connect() {
  failPending();
  state.socket?.stop();
  state.live = false;
  // handlers of a socket that has been replaced (sign-out, "reconnect now") ignore what it still reports; `socket`
  // is null only while the constructor runs (it reports "connecting" at once)
  let socket = null;
  const mine = () => socket === null || state.socket === socket;
  socket = new ReconnectingSocket("/ws/proctor", {
    onOpen: () => {
      if (!mine()) return;
      state.live = false;
      state.lastFrameAt = performance.now();
      // the first hello takes the snapshot and live events only (the history of a sitting, its chart points and
      // subtest results, comes with its `detail`); a reconnect resumes after the last event seen
      // batch: a busy room's events come several to a frame, twice a second
      const hello = {type: "hello", token: state.token, batch: true};
      if (state.lastEventId !== null) hello.last_event_id = state.lastEventId;
      stats.hellos.push(hello.last_event_id ?? null);
      socket.send(hello);
    },
    onFrame: (frame) => {
      if (mine()) onFrame(frame);
    },
    onState: (name) => {
      if (!mine()) return;
      state.conn = name;
      if (name !== "open") state.live = false;
      renderConn();
      queueRender();
    },
    onClose: (event) => {
      if (!mine()) return false;
      state.live = false;
      failPending();
      if (event.code === 4001) {
        signOut(t("bad_token"));
        return false;
      }
      return true;
    },
  });
  state.socket = socket;
}

function resync() {
  if (state.resyncAt && performance.now() - state.resyncAt < 3000) return;
  state.resyncAt = performance.now();
  state.socket?.drop();
}

function onFrame(frame) {
  state.lastFrameAt = performance.now();
  switch (frame.type) {
    case "snapshot":
      applySnapshot(frame);
      state.live = true;
      showApp();
      if (state.detail) requestDetail();
      queueRender();
      break;
    case "events":
      for (const event of frame.events) applyEvent(event);
      break;
    case "event":
      applyEvent(frame);
      break;
    case "ack":
      onAck(frame);
      break;
    case "detail":
      onDetail(frame);
      break;
    case "error":
      onError(frame);
      break;
    default:
      break; // pong
  }
}

function onError(frame) {
  if (frame.code === "bad_token") {
    signOut(t("bad_token"));
    return;
  }
  if (state.detail?.loading && (frame.code === "not_found" || frame.code === "forbidden")) {
    state.detail.loading = false;
    state.detail.error = frame.message || frame.code;
    renderDetail();
    return;
  }
  if (frame.code === "not_authenticated") return; // a command raced the hello; the snapshot follows
  notice("bad", t("server_error", {message: `${frame.code}: ${frame.message ?? ""}`}));
}

setInterval(() => {
  if (!state.socket?.isOpen) return;
  if (performance.now() - state.lastFrameAt > SILENT_MS) {
    state.socket.drop();
    return;
  }
  if (state.live) state.socket.send({type: "ping"});
}, PING_MS);

// Server time minus ours. Each live event gives a lower bound (it happened before it reached us), so the largest
// sample wins; one far below the estimate means this PC's clock was changed, and it starts over from that sample.
function clockSample(sample) {
  if (state.clockOffset === null || sample > state.clockOffset || state.clockOffset - sample > 5000) {
    state.clockOffset = sample;
  }
}

async function estimateClock() {
  try {
    const response = await fetch("/healthz", {cache: "no-store"});
    const date = Date.parse(response.headers.get("date") ?? "");
    if (!Number.isNaN(date) && state.clockOffset === null) state.clockOffset = date - Date.now();
  } catch {
    // no estimate: the clocks are assumed to agree until live events refine it
  }
}

// --- commands -----------------------------------------------------------------------------------------------

function targetsFor(kind, sid) {
  if (sid) return [state.sessions.get(sid)].filter(Boolean);
  return state.order.map((id) => state.sessions.get(id)).filter((s) => s && allowed(s, kind));
}

function sendCommand(kind, sid, fields) {
  const id = state.nextId++;
  const frame = {type: kind, id, ...fields};
  if (sid) frame.session_id = sid;
  else frame.room = true;
  const targets = targetsFor(kind, sid);
  if (!state.live || !state.socket.send(frame)) {
    notice("bad", t("err_offline"));
    return;
  }
  state.pending.set(id, {kind, sid, targets: targets.map((s) => s.id), minutes: fields.seconds ? fields.seconds / 60 : null});
}

function nameOf(sid) {
  return state.sessions.get(sid)?.name ?? sid;
}

function listNames(ids, max = 5) {
  const names = ids.slice(0, max).map(nameOf);
  if (ids.length > max) names.push(t("cf_more", {n: ids.length - max}));
  return names.join(", ");
}

function why(result) {
  const known = {bad_command: "code_bad_command", not_found: "code_not_found", forbidden: "code_forbidden"};
  return known[result.code] ? `${t(known[result.code])} (${result.code})` : `${result.code}: ${result.message ?? ""}`;
}

function onAck(frame) {
  const sent = state.pending.get(frame.id);
  state.pending.delete(frame.id);
  const kind = frame.command ?? sent?.kind;
  const results = frame.results ?? [];
  const cmd = t(`cmd_${kind}`);
  if (sent && !sent.sid) {
    const ok = results.filter((r) => r.ok).length;
    const expected = new Set(sent.targets);
    const skipped = results.filter((r) => !r.ok && r.code === "bad_command" && !expected.has(r.session_id));
    const failed = results.filter((r) => !r.ok && !skipped.includes(r));
    const parts = [t("ack_room", {cmd, ok})];
    if (skipped.length) parts.push(t("ack_room_skipped", {n: skipped.length, list: listNames(skipped.map((r) => r.session_id))}));
    if (failed.length) parts.push(t("ack_room_failed", {list: failed.map((r) => `${nameOf(r.session_id)} — ${why(r)}`).join("; ")}));
    notice(failed.length ? "bad" : "ok", parts.join(" "));
    return;
  }
  for (const r of results) {
    const name = nameOf(r.session_id);
    if (r.ok) notice("ok", t("ack_one_ok", {name, done: t(`done_${kind}`, {min: sent?.minutes ?? ""})}));
    else notice("bad", t("ack_one_fail", {name, cmd, why: why(r)}));
  }
}

function failPending() {
  for (const sent of state.pending.values()) {
    const who = sent.sid ? nameOf(sent.sid) : t("all_room");
    notice("bad", t("ack_lost", {cmd: t(`cmd_${sent.kind}`), who}));
  }
  state.pending.clear();
}

// --- notices ------------------------------------------------------------------------------------------------

function notice(kind, message) {
  const box = $("notices");
  const item = document.createElement("div");
  item.className = `notice ${kind === "ok" ? "ok" : "bad"} toast`;
  item.dataset.kind = kind;
  const text = document.createElement("span");
  text.textContent = message;
  const close = document.createElement("button");
  close.type = "button";
  close.className = "toast-close";
  close.textContent = "×";
  close.title = t("dismiss");
  close.setAttribute("aria-label", t("dismiss"));
  close.addEventListener("click", () => item.remove());
  item.append(text, close);
  box.prepend(item);
  while (box.children.length > 4) box.lastElementChild.remove();
  if (kind === "ok") setTimeout(() => item.remove(), 10000);
}

// --- confirmation dialog ------------------------------------------------------------------------------------

let confirming = null;

function askConfirm(kind, sid, opener) {
  const targets = targetsFor(kind, sid);
  if (!targets.length) return;
  confirming = {kind, sid, opener};
  const dialog = $("confirm");
  dialog.dataset.kind = kind;
  $("confirm-h").textContent = t(`cf_${kind}_h`);
  $("confirm-text").textContent = sid ? t(`cf_${kind}_one`) : t(`cf_${kind}_room`, {n: targets.length});
  const who = $("confirm-who");
  who.replaceChildren();
  const shown = targets.slice(0, 8);
  for (const s of shown) {
    const li = document.createElement("li");
    const name = document.createElement("strong");
    name.textContent = s.name;
    const id = document.createElement("span");
    id.className = "muted";
    id.textContent = ` · ${s.employee_id} · ${t(`st_${category(s)}`)}`;
    li.append(name, id);
    who.append(li);
  }
  if (targets.length > shown.length) {
    const li = document.createElement("li");
    li.className = "muted";
    li.textContent = t("cf_more", {n: targets.length - shown.length});
    who.append(li);
  }
  const reasonRow = $("confirm-reason-row");
  reasonRow.hidden = !(kind === "pause" || kind === "terminate");
  $("confirm-reason-label").textContent = t(kind === "terminate" ? "reason_required" : "reason_optional");
  $("confirm-reason").value = "";
  $("confirm-reason").required = kind === "terminate";
  $("confirm-minutes-row").hidden = kind !== "extend";
  $("confirm-minutes").value = "5";
  $("confirm-error").hidden = true;
  const ok = $("confirm-ok");
  ok.textContent = t(`ok_${kind}`);
  ok.className = kind === "terminate" ? "danger" : "primary";
  dialog.showModal();
  if (!reasonRow.hidden) $("confirm-reason").focus();
  else if (kind === "extend") $("confirm-minutes").select();
  else ok.focus();
}

function confirmError(message, field) {
  const box = $("confirm-error");
  box.textContent = message;
  box.hidden = false;
  field.setAttribute("aria-invalid", "true");
  field.focus();
}

function submitConfirm(event) {
  event.preventDefault();
  if (!confirming) return;
  const {kind, sid} = confirming;
  const fields = {};
  const reason = $("confirm-reason");
  const minutes = $("confirm-minutes");
  reason.removeAttribute("aria-invalid");
  minutes.removeAttribute("aria-invalid");
  if (kind === "terminate") {
    if (!reason.value.trim()) return confirmError(t("err_reason"), reason);
    fields.reason = reason.value.trim();
  } else if (kind === "pause" && reason.value.trim()) {
    fields.reason = reason.value.trim();
  } else if (kind === "extend") {
    const m = Number(minutes.value);
    if (!Number.isInteger(m) || m < 1 || m > 1440) return confirmError(t("err_minutes"), minutes);
    fields.seconds = m * 60;
  }
  closeConfirm();
  sendCommand(kind, sid, fields);
}

function closeConfirm() {
  const opener = confirming?.opener;
  confirming = null;
  if ($("confirm").open) $("confirm").close();
  if (opener?.isConnected && !opener.disabled) opener.focus();
}

// --- rendering: top bar, counts, alerts ---------------------------------------------------------------------

function setText(el, value) {
  const v = String(value);
  if (el.textContent !== v) el.textContent = v;
}

function setAttr(el, name, value) {
  if (value === null || value === undefined || value === false) {
    if (el.hasAttribute(name)) el.removeAttribute(name);
  } else if (el.getAttribute(name) !== String(value)) {
    el.setAttribute(name, String(value));
  }
}

function renderConn() {
  const conn = $("conn");
  const shown = state.conn === "open" && !state.live ? "connecting" : state.conn;
  conn.dataset.state = shown;
  setText($("conn-text"), t(`conn_${shown}`));
  conn.title = shown === "waiting" ? t("conn_title_waiting") : "";
  $("reconnect").hidden = shown !== "waiting";
  if (!$("signin").hidden && state.token) {
    const msg = $("signin-msg");
    msg.className = "notice info";
    msg.textContent = t("signin_connecting");
    msg.hidden = false;
  }
}

function renderTop() {
  const room = state.room;
  $("room-label").hidden = !room;
  if (room) {
    setText($("room-name"), room.name);
    setText($("room-meta"), t("room_meta", {room: room.room_id, battery: room.battery?.name ?? room.battery?.id ?? ""}));
  }
}

function renderCounts() {
  const counts = {all: 0, attention: 0};
  for (const c of CATEGORIES) counts[c] = 0;
  for (const s of state.sessions.values()) {
    counts.all += 1;
    counts[category(s)] += 1;
    if (needsAttention(s)) counts.attention += 1;
  }
  const box = $("counts");
  const keys = ["all", "attention", ...CATEGORIES];
  if (box.children.length !== keys.length) {
    box.replaceChildren();
    for (const key of keys) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = `count count-${key}`;
      button.dataset.filter = key;
      const n = document.createElement("span");
      n.className = "count-n";
      const label = document.createElement("span");
      label.className = "count-label";
      button.append(n, label);
      button.addEventListener("click", () => {
        state.filter = state.filter === key ? "all" : key;
        queueRender();
      });
      box.append(button);
    }
  }
  for (const button of box.children) {
    const key = button.dataset.filter;
    setText(button.querySelector(".count-n"), counts[key]);
    setText(button.querySelector(".count-label"), key === "all" ? t("count_all") : key === "attention" ? t("count_attention") : t(`st_${key}`));
    setAttr(button, "aria-pressed", String(state.filter === key));
    button.classList.toggle("zero", counts[key] === 0 && key !== "all");
  }
}

function renderAlerts() {
  const active = [...state.alerts.entries()].filter(([, a]) => !a.dismissed).sort((a, b) => b[1].since - a[1].since);
  const section = $("alerts");
  section.hidden = active.length === 0;
  setText($("alerts-h"), t("alerts_h", {n: active.length}));
  const list = $("alert-list");
  const existing = new Map([...list.children].map((li) => [li.dataset.session, li]));
  const wanted = [];
  for (const [sid, alert] of active) {
    const s = state.sessions.get(sid);
    if (!s) continue;
    let li = existing.get(sid);
    if (!li) {
      li = document.createElement("li");
      li.className = "alert";
      li.dataset.session = sid;
      const who = document.createElement("strong");
      who.className = "alert-who";
      const what = document.createElement("span");
      what.className = "alert-what";
      const show = document.createElement("button");
      show.type = "button";
      show.className = "small alert-show";
      show.addEventListener("click", () => focusRow(sid));
      const dismiss = document.createElement("button");
      dismiss.type = "button";
      dismiss.className = "small alert-dismiss";
      dismiss.addEventListener("click", () => {
        const a = state.alerts.get(sid);
        if (a) a.dismissed = true;
        queueRender();
      });
      li.append(who, what, show, dismiss);
    }
    setText(li.querySelector(".alert-who"), `${s.name} (${s.employee_id})`);
    setText(li.querySelector(".alert-what"), t("alert_text", {time: timeOfDay(alert.since), ago: ago(alert.since)}));
    setText(li.querySelector(".alert-show"), t("alert_show"));
    setText(li.querySelector(".alert-dismiss"), t("alert_dismiss"));
    li.querySelector(".alert-dismiss").setAttribute("aria-label", `${t("alert_dismiss")}: ${s.name}`);
    wanted.push(li);
  }
  syncChildren(list, wanted);
}

// Make `parent`'s children exactly `wanted`, in order, moving only what is out of place (keeps focus).
function syncChildren(parent, wanted) {
  const keep = new Set(wanted);
  for (const child of [...parent.children]) if (!keep.has(child)) child.remove();
  wanted.forEach((node, i) => {
    if (parent.children[i] !== node) parent.insertBefore(node, parent.children[i] ?? null);
  });
}

// --- rendering: the table -----------------------------------------------------------------------------------

function sortValue(s, key) {
  switch (key) {
    case "name":
      return s.name ?? "";
    case "status":
      return STATUS_RANK[statusKey(s)];
    case "progress":
      return s.phase === "finished" || s.phase === "terminated" ? 1e9 : s.subtest_index * 10000 + s.answered;
    case "answered":
      return s.doneTotal + s.answered;
    case "se":
      return s.se === null || s.se === undefined ? Infinity : s.se / (s.se_target || 1);
    case "time":
      return timeLeftNow(s) ?? Infinity;
    case "seen":
      return s.last_seen_ms ?? Infinity;
    default:
      return state.order.indexOf(s.id);
  }
}

function sortedSessions() {
  const {key, dir} = state.sort;
  const list = state.order.map((id) => state.sessions.get(id)).filter(Boolean);
  const filter = state.filter;
  const shown = list.filter((s) => filter === "all" || (filter === "attention" ? needsAttention(s) : category(s) === filter));
  return shown
    .map((s, i) => ({s, i, v: sortValue(s, key)}))
    .sort((a, b) => {
      let c;
      if (typeof a.v === "string") c = a.v.localeCompare(b.v, locale());
      else if (a.v === b.v) c = 0;
      else if (a.v === Infinity) return 1; // unknown values last whatever the direction
      else if (b.v === Infinity) return -1;
      else c = a.v - b.v;
      return c * dir || a.i - b.i;
    })
    .map((x) => x.s);
}

function cell(tr, cls) {
  const td = document.createElement("td");
  td.className = cls;
  tr.append(td);
  return td;
}

function actionButton(kind, sid) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = `small act act-${kind}`;
  button.dataset.action = kind;
  button.addEventListener("click", (event) => {
    event.stopPropagation();
    const real = button.dataset.action; // pause/resume share one button
    askConfirm(real, sid, button);
  });
  return button;
}

function buildActions(container, sid) {
  container.append(actionButton("pause", sid), actionButton("extend", sid), actionButton("terminate", sid));
}

function updateActions(container, s) {
  for (const button of container.querySelectorAll("button.act")) {
    let kind = button.dataset.action;
    if (kind === "pause" || kind === "resume") {
      kind = s.phase === "paused" ? "resume" : "pause";
      button.dataset.action = kind;
      button.classList.toggle("act-resume", kind === "resume");
      button.classList.toggle("act-pause", kind === "pause");
    }
    setText(button, t(`act_${kind}`));
    setAttr(button, "title", t(`act_${kind}_title`, {name: s.name}));
    setAttr(button, "aria-label", t(`act_${kind}_title`, {name: s.name}));
    button.disabled = !state.live || !allowed(s, kind);
  }
}

function makeRow(s) {
  const tr = document.createElement("tr");
  tr.tabIndex = 0;
  tr.dataset.session = s.id;
  tr.className = "row";
  cell(tr, "c-no num");
  const who = cell(tr, "who");
  who.innerHTML = '<span class="name"></span><span class="emp"></span>';
  const status = cell(tr, "status");
  status.innerHTML = '<span class="badge"></span><span class="extra"></span>';
  const sub = cell(tr, "sub");
  sub.innerHTML = '<span class="sub-idx"></span><span class="sub-name"></span>';
  cell(tr, "ans num");
  const se = cell(tr, "se");
  se.innerHTML = '<span class="bar" aria-hidden="true"><span class="fill"></span></span><span class="se-label"></span>';
  cell(tr, "time num");
  cell(tr, "seen");
  buildActions(cell(tr, "act"), s.id);
  tr.addEventListener("click", (event) => {
    if (event.target.closest("button")) return;
    openDetail(s.id, tr);
  });
  tr.addEventListener("keydown", (event) => {
    if (event.target !== tr) return;
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      openDetail(s.id, tr);
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const next = event.key === "ArrowDown" ? tr.nextElementSibling : tr.previousElementSibling;
      next?.focus();
    } else if (event.key === "Home" || event.key === "End") {
      event.preventDefault();
      (event.key === "Home" ? tr.parentElement.firstElementChild : tr.parentElement.lastElementChild)?.focus();
    }
  });
  return tr;
}

function updateRow(tr, s) {
  const cat = category(s);
  const key = statusKey(s);
  const alert = state.alerts.get(s.id);
  const rowClass = [
    "row",
    needsAttention(s) ? (key === "disconnected" ? "att-bad" : "att-warn") : "",
    alert && !alert.dismissed ? "alerting" : "",
    cat === "finished" || cat === "terminated" ? "over" : "",
  ].filter(Boolean).join(" ");
  if (tr.className !== rowClass) tr.className = rowClass;
  tr.dataset.status = cat;
  tr.setAttribute("aria-label", `${s.name}, ${t(`st_${cat}`)}`);
  const [no, who, status, sub, ans, se, time, seen, act] = tr.children;
  setText(no, sessionNumber(s));
  setText(who.firstChild, s.name);
  setText(who.lastChild, s.employee_id);
  const badge = status.firstChild;
  setText(badge, t(`st_${cat}`));
  const badgeClass = `badge ${BADGE[cat]}`;
  if (badge.className !== badgeClass) badge.className = badgeClass;
  const extra = status.lastChild;
  const idle = idleMinutes(s);
  if (idle) {
    setText(extra, t("idle_for", {n: idle}));
    extra.className = "extra chip warn";
    setAttr(extra, "title", t("idle_title", {n: idle}));
  } else if (s.phase === "paused" && !s.connected) {
    setText(extra, t("paused_offline"));
    extra.className = "extra chip bad";
    setAttr(extra, "title", null);
  } else {
    setText(extra, "");
    extra.className = "extra";
    setAttr(extra, "title", s.phase === "paused" && s.pause_reason ? s.pause_reason : null);
  }
  const info = subtestInfo(s.subtest_index);
  const over = s.phase === "finished" || s.phase === "terminated";
  const total = state.room?.subtests?.length ?? 0;
  setText(sub.firstChild, over || !info ? "" : `${s.subtest_index + 1}/${total}`);
  setText(sub.lastChild, over || !info ? "—" : info.name);
  setAttr(sub, "title", over || !info ? null : info.name);
  const totalAnswered = s.doneTotal + s.answered;
  setText(ans, over ? `— / ${totalAnswered}` : `${s.answered} / ${totalAnswered}`);
  ans.dataset.answered = String(s.answered);
  ans.dataset.total = String(totalAnswered);
  setAttr(ans, "title", t("answered_title", {sub: s.answered, total: totalAnswered}));
  // SE against the target: full (and green) once se <= se_target
  const fill = se.querySelector(".fill");
  const label = se.querySelector(".se-label");
  const hasSe = !over && s.se !== null && s.se !== undefined;
  const ratio = hasSe ? Math.min(1, (s.se_target || 0) / s.se) : 0;
  const reached = hasSe && s.se <= s.se_target;
  fill.style.width = `${Math.round(ratio * 100)}%`;
  fill.className = reached ? "fill reached" : "fill";
  setText(label, hasSe ? `${num(s.se)} / ${num(s.se_target)}` : "—");
  se.dataset.se = hasSe ? String(s.se) : "";
  se.classList.toggle("reached", reached);
  se.classList.toggle("none", !hasSe);
  setAttr(se, "title", hasSe ? `${t("se_title", {se: num(s.se, 3), target: num(s.se_target)})}${reached ? ` — ${t("se_reached")}` : ""}` : null);
  const left = timeLeftNow(s);
  setText(time, over ? "—" : clock(left));
  time.dataset.seconds = left === null || over ? "" : String(Math.round(left));
  time.classList.toggle("low", !over && left !== null && left < 120 && s.phase === "active");
  time.classList.toggle("frozen", !over && left !== null && !(s.phase === "active" && s.connected));
  setText(seen, ago(s.last_seen_ms));
  setAttr(seen, "title", s.last_seen_ms ? timeOfDay(s.last_seen_ms) : null);
  updateActions(act, s);
}

function renderTable() {
  const tbody = $("rows");
  for (const id of state.rowEls.keys()) if (!state.sessions.has(id)) state.rowEls.delete(id);
  const list = sortedSessions();
  const wanted = list.map((s) => {
    let tr = state.rowEls.get(s.id);
    if (!tr) {
      tr = makeRow(s);
      state.rowEls.set(s.id, tr);
    }
    updateRow(tr, s);
    return tr;
  });
  const focused = document.activeElement;
  syncChildren(tbody, wanted);
  if (focused && focused !== document.activeElement && focused.isConnected) focused.focus({preventScroll: true});
  const empty = $("empty");
  empty.hidden = wanted.length > 0 || !state.room;
  setText(empty, state.sessions.size ? t("empty_filter") : t("empty_room"));
  for (const th of document.querySelectorAll("#roster th[data-sort]")) {
    const active = th.dataset.sort === state.sort.key;
    setAttr(th, "aria-sort", active ? (state.sort.dir > 0 ? "ascending" : "descending") : null);
  }
  // room-wide actions
  for (const [id, kind] of [["room-pause", "pause"], ["room-resume", "resume"], ["room-extend", "extend"], ["room-terminate", "terminate"]]) {
    $(id).disabled = !state.live || targetsFor(kind, null).length === 0;
  }
  $("download").disabled = !state.room || state.downloading;
}

function focusRow(sid) {
  if (state.filter !== "all") {
    state.filter = "all";
    render();
  }
  const tr = state.rowEls.get(sid);
  if (!tr) return;
  tr.scrollIntoView({block: "center"});
  tr.focus();
}

function render() {
  state.renderQueued = false;
  renderTop();
  renderConn();
  renderCounts();
  renderAlerts();
  renderTable();
  if (state.detail) renderDetail();
}

function queueRender() {
  if (state.renderQueued) return;
  state.renderQueued = true;
  requestAnimationFrame(render);
}

let detailQueued = false;
function queueDetail() {
  if (detailQueued) return;
  detailQueued = true;
  requestAnimationFrame(() => {
    detailQueued = false;
    if (state.detail) renderDetail();
  });
}

// --- detail view --------------------------------------------------------------------------------------------

function openDetail(sid, returnFocus) {
  if (!state.sessions.has(sid)) return;
  state.detail = {sid, reqId: null, loading: false, error: null, tab: null, returnFocus};
  requestDetail();
  renderDetail();
  const dialog = $("detail");
  if (!dialog.open) dialog.showModal();
  $("detail-close").focus();
}

function requestDetail() {
  const d = state.detail;
  if (!d || !state.live) return;
  d.reqId = `d${state.nextId++}`;
  d.loading = true;
  d.error = null;
  state.socket.send({type: "detail", session_id: d.sid, id: d.reqId});
}

function onDetail(frame) {
  const s = state.sessions.get(frame.session_id);
  if (!s) return;
  for (const sub of frame.subtests ?? []) {
    // the server's recomputed points replace ours position by position; live points beyond them stay
    for (const p of sub.points ?? []) addPoint(s, sub.index, p.position, p.theta, p.se);
    if (sub.status === "done" && sub.result) s.results.set(sub.index, normalizeResult(sub.result));
  }
  if (state.detail?.sid === frame.session_id && (frame.id === undefined || frame.id === null || frame.id === state.detail.reqId)) {
    state.detail.loading = false;
    state.detail.error = null;
  }
  queueDetail();
}

function closeDetail() {
  const returnFocus = state.detail?.returnFocus;
  state.detail = null;
  if ($("detail").open) $("detail").close();
  const sid = returnFocus?.dataset?.session;
  const target = sid ? state.rowEls.get(sid) : returnFocus;
  if (target?.isConnected) target.focus();
}

function pointsOf(s, index) {
  const map = s.points.get(index);
  if (!map) return [];
  return [...map.entries()].sort((a, b) => a[0] - b[0]).map(([position, p]) => ({position, ...p}));
}

function fact(dl, label, value, cls = "") {
  const dt = document.createElement("dt");
  dt.textContent = label;
  const dd = document.createElement("dd");
  if (value instanceof Node) dd.append(value);
  else dd.textContent = value;
  if (cls) dd.className = cls;
  dl.append(dt, dd);
}

function renderDetail() {
  const d = state.detail;
  if (!d) return;
  const s = state.sessions.get(d.sid);
  if (!s) return;
  const cat = category(s);
  const over = s.phase === "finished" || s.phase === "terminated";
  setText($("detail-name"), s.name);
  setText($("detail-ids"), t("detail_ids", {emp: s.employee_id, sid: s.id}));
  const badge = $("detail-badge");
  badge.className = `badge ${BADGE[cat]}`;
  setText(badge, t(`st_${cat}`));
  $("detail").dataset.status = cat;

  const facts = $("detail-facts");
  facts.replaceChildren();
  const info = subtestInfo(s.subtest_index);
  const total = state.room?.subtests?.length ?? 0;
  fact(facts, t("f_subtest"), over || !info ? "—" : `${s.subtest_index + 1}/${total} · ${info.name}`);
  fact(facts, t("f_answered"), t("answered_fact", {sub: over ? "—" : s.answered, total: s.doneTotal + s.answered}));
  fact(facts, t("f_estimate"), over ? "—" : `${num(s.theta)} / ${num(s.se)}`);
  fact(facts, t("f_time"), over ? "—" : clock(timeLeftNow(s)));
  fact(facts, t("f_seen"), ago(s.last_seen_ms));
  if (s.phase === "paused" && s.pause_reason) fact(facts, t("f_pause_reason"), s.pause_reason);
  if (s.phase === "terminated") fact(facts, t("f_term_reason"), s.terminated_reason || "—");

  const actions = $("detail-actions");
  if (!actions.children.length || actions.dataset.session !== s.id) {
    actions.replaceChildren();
    actions.dataset.session = s.id;
    buildActions(actions, s.id);
  }
  updateActions(actions, s);

  // results per subtest
  const tbody = $("detail-results");
  tbody.replaceChildren();
  (state.room?.subtests ?? []).forEach((sub, index) => {
    const tr = document.createElement("tr");
    const r = s.results.get(index);
    const pts = pointsOf(s, index);
    const current = !over && index === s.subtest_index && !s.doneSubtests.has(index);
    const reached = r || pts.length || current || index < s.subtest_index;
    const last = pts[pts.length - 1];
    const stop = r?.stop_reason ? t(`stop_${r.stop_reason}`) : current ? t("r_current") : reached ? "" : t("r_not_reached");
    const values = r
      ? [sub.name, r.items ?? pts.length, num(r.theta), num(r.se), r.level ?? "—", r.scaled_score ?? "—", stop]
      : [sub.name, reached ? (current ? s.answered : pts.length) : "—", num(last?.theta), num(last?.se), "—", "—", stop];
    values.forEach((v, i) => {
      const td = document.createElement(i === 0 ? "th" : "td");
      if (i === 0) td.scope = "row";
      td.textContent = String(v);
      if (i > 0 && i < 6) td.className = "num";
      tr.append(td);
    });
    tr.dataset.subtest = String(index);
    if (current) tr.className = "current";
    if (!reached) tr.className = "unreached";
    if (r?.level !== null && r?.level !== undefined) tr.dataset.level = String(r.level);
    tbody.append(tr);
  });

  // chart tabs: every subtest with points, and the current one
  const tabs = $("chart-tabs");
  const available = (state.room?.subtests ?? [])
    .map((sub, index) => index)
    .filter((index) => pointsOf(s, index).length || (!over && index === s.subtest_index && s.phase !== "ready"));
  if (d.tab === null || !available.includes(d.tab)) {
    d.tab = available.includes(s.subtest_index) ? s.subtest_index : available[available.length - 1] ?? null;
  }
  const tabKey = available.join(",");
  if (tabs.dataset.key !== tabKey) {
    tabs.dataset.key = tabKey;
    tabs.replaceChildren(
      ...available.map((index) => {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "small tab";
        b.dataset.subtest = String(index);
        b.addEventListener("click", () => {
          d.tab = index;
          renderDetail();
        });
        return b;
      }),
    );
  }
  for (const b of tabs.children) {
    const index = Number(b.dataset.subtest);
    setText(b, state.room.subtests[index].name);
    setAttr(b, "aria-pressed", String(index === d.tab));
  }
  renderChart(s, d);
}

function renderChart(s, d) {
  const box = $("chart");
  const msg = $("chart-msg");
  const pts = d.tab === null ? [] : pointsOf(s, d.tab);
  box.dataset.points = String(pts.length);
  box.dataset.subtest = d.tab === null ? "" : String(d.tab);
  if (d.error) {
    msg.hidden = false;
    setText(msg, t("chart_error", {message: d.error}));
  } else if (d.loading && !pts.length) {
    msg.hidden = false;
    setText(msg, t("chart_loading"));
  } else if (!pts.length) {
    msg.hidden = false;
    setText(msg, t("chart_empty"));
  } else {
    msg.hidden = true;
  }
  const signature = JSON.stringify([lang, d.tab, pts]);
  if (box.dataset.signature === signature) return;
  box.dataset.signature = signature;
  if (!pts.length) {
    box.replaceChildren();
    return;
  }
  const sub = subtestInfo(d.tab);
  const target = sub?.se_target ?? s.se_target ?? 0.3;
  const lo = Math.min(-2, ...pts.map((p) => p.theta - p.se));
  const hi = Math.max(2, ...pts.map((p) => p.theta + p.se));
  const seMax = Math.max(1, ...pts.map((p) => p.se)) * 1.05;
  const last = pts[pts.length - 1];
  const xMax = Math.max(pts.length, Math.min(sub?.max_items ?? 10, 10), 3);
  lineChart(box, {
    title: t("chart_title", {name: s.name, subtest: sub?.name ?? "", n: pts.length}),
    desc: t("chart_desc", {theta: num(last.theta), se: num(last.se), target: num(target)}),
    x: {min: 1, max: xMax, label: t("axis_x")},
    format: (v) => num(v, [0, 1, 2].find((d) => Math.abs(Math.round(v * 10 ** d) - v * 10 ** d) < 1e-6) ?? 2),
    panels: [
      {
        name: "theta",
        weight: 3,
        ticks: 5,
        y: {min: Math.max(-4.5, Math.floor(lo * 2) / 2), max: Math.min(4.5, Math.ceil(hi * 2) / 2), label: t("axis_theta")},
        bands: [{cls: "band-theta", points: pts.map((p) => ({x: p.position, lo: p.theta - p.se, hi: p.theta + p.se}))}],
        lines: [{cls: "line-theta", name: "theta", points: pts.map((p) => ({x: p.position, y: p.theta}))}],
      },
      {
        name: "se",
        weight: 2,
        ticks: 3,
        y: {min: 0, max: seMax, label: t("axis_se")},
        refs: [{cls: "ref-target", y: target, label: `${t("legend_target")} ${num(target)}`}],
        lines: [{cls: "line-se", name: "se", points: pts.map((p) => ({x: p.position, y: p.se}))}],
      },
    ],
  });
}

// --- download -----------------------------------------------------------------------------------------------

async function download() {
  if (!state.room || state.downloading) return;
  state.downloading = true;
  const button = $("download");
  setText(button, t("download_busy"));
  queueRender();
  try {
    const room = state.room.room_id;
    const response = await fetch(`/api/rooms/${encodeURIComponent(room)}/results?format=csv`, {
      headers: {Authorization: `Bearer ${state.token}`},
      cache: "no-store",
    });
    if (response.status === 401 || response.status === 403) {
      notice("bad", t("dl_auth"));
      return;
    }
    if (!response.ok) {
      notice("bad", t("dl_fail", {status: response.status}));
      return;
    }
    const blob = await response.blob();
    const disposition = response.headers.get("content-disposition") ?? "";
    const file = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? `results-${room}.csv`;
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = file;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    notice("ok", t("dl_ok", {file}));
  } catch {
    notice("bad", t("dl_net"));
  } finally {
    state.downloading = false;
    setText(button, t("download"));
    queueRender();
  }
}

// --- sign-in / sign-out -------------------------------------------------------------------------------------

function showApp() {
  $("signin").hidden = true;
  $("app").hidden = false;
  $("signout").hidden = false;
  $("download").hidden = false;
  $("conn").hidden = false;
}

function showSignin(message) {
  $("app").hidden = true;
  $("signin").hidden = false;
  $("signout").hidden = true;
  $("download").hidden = true;
  $("conn").hidden = true;
  $("reconnect").hidden = true;
  $("room-label").hidden = true;
  const msg = $("signin-msg");
  msg.className = "notice bad";
  msg.hidden = !message;
  msg.textContent = message ?? "";
  $("token-input").focus();
}

function signIn(token) {
  state.token = token;
  sessionStorage.setItem(TOKEN_KEY, token);
  const resume = loadResume(token);
  state.lastEventId = resume?.last_event_id ?? null;
  state.restored = resume;
  connect();
  renderConn();
}

function signOut(message) {
  const socket = state.socket;
  state.socket = null;
  socket?.stop();
  state.token = null;
  state.live = false;
  state.conn = "idle";
  state.room = null;
  state.sessions = new Map();
  state.order = [];
  state.alerts.clear();
  state.lastEventId = null;
  state.watermark = null;
  state.rowEls.clear();
  $("rows").replaceChildren();
  if ($("detail").open) $("detail").close();
  if ($("confirm").open) $("confirm").close();
  state.detail = null;
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(RESUME_KEY);
  showSignin(message);
}

// --- wiring -------------------------------------------------------------------------------------------------

function applyLanguage() {
  t = makeT(TEXTS, lang);
  applyTexts(document, t);
  document.title = t("page_title");
  render();
}

function init() {
  languageSwitch($("lang"), lang, (code) => {
    lang = code;
    applyLanguage();
  });
  applyTexts(document, t);
  document.title = t("page_title");

  $("signin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = $("token-input").value.trim();
    if (!token) return;
    $("token-input").value = "";
    signIn(token);
  });
  $("signout").addEventListener("click", () => signOut());
  $("reconnect").addEventListener("click", () => {
    if (state.token) connect();
  });
  $("download").addEventListener("click", download);
  $("room-pause").addEventListener("click", (e) => askConfirm("pause", null, e.currentTarget));
  $("room-resume").addEventListener("click", (e) => askConfirm("resume", null, e.currentTarget));
  $("room-extend").addEventListener("click", (e) => askConfirm("extend", null, e.currentTarget));
  $("room-terminate").addEventListener("click", (e) => askConfirm("terminate", null, e.currentTarget));
  $("alerts-dismiss-all").addEventListener("click", () => {
    for (const a of state.alerts.values()) a.dismissed = true;
    queueRender();
  });
  for (const th of document.querySelectorAll("#roster th[data-sort]")) {
    th.querySelector("button").addEventListener("click", () => {
      const key = th.dataset.sort;
      state.sort = state.sort.key === key ? {key, dir: -state.sort.dir} : {key, dir: 1};
      render();
    });
  }
  $("confirm-form").addEventListener("submit", submitConfirm);
  $("confirm-cancel").addEventListener("click", closeConfirm);
  $("confirm").addEventListener("cancel", (event) => {
    event.preventDefault();
    closeConfirm();
  });
  $("detail-close").addEventListener("click", closeDetail);
  $("detail").addEventListener("cancel", (event) => {
    event.preventDefault();
    closeDetail();
  });
  $("detail").addEventListener("click", (event) => {
    // a click on the backdrop (outside the dialog's box) closes it; the dialog's own padding does not
    if (event.target !== $("detail")) return;
    const box = $("detail").getBoundingClientRect();
    const inside = event.clientX >= box.left && event.clientX <= box.right && event.clientY >= box.top && event.clientY <= box.bottom;
    if (!inside) closeDetail();
  });

  setInterval(() => {
    if (state.room) queueRender();
  }, 1000);
  estimateClock();

  // a /proctor#t=TOKEN link signs in and the token leaves the address bar at once
  const fragment = new URLSearchParams(location.hash.slice(1));
  const linked = fragment.get("t");
  if (linked) history.replaceState(null, "", location.pathname + location.search);
  const token = linked || sessionStorage.getItem(TOKEN_KEY);
  if (token) {
    if (linked && linked !== sessionStorage.getItem(TOKEN_KEY)) sessionStorage.removeItem(RESUME_KEY);
    showApp();
    signIn(token);
  } else {
    showSignin();
  }
}

init();
