"""Text of the load-test command line and its summary, in Bahasa Indonesia (default) and English.

The language comes from ``--lang`` or ``CAT_LANG``, as for the other command-line tools (:mod:`cat_engine.i18n`).
"""

from __future__ import annotations

from cat_engine.i18n import LANGUAGES, default_language

__all__ = ["LANGUAGES", "default_language", "message"]

_MESSAGES: dict[str, dict[str, str]] = {
    # command line
    "description": {
        "id": "Uji beban server CAT: gladi hari ujian (hanya ke alamat loopback).",
        "en": "Load test of the CAT server: rehearse a test day (loopback addresses only).",
    },
    "scenario_help": {
        "id": "rollout (satu kantor regional), peak (1.000 peserta, 10x laju nyata), storm (semua terputus "
        "bersamaan), restart (proses server dimatikan dan dihidupkan lagi), soak (lama, laju tetap), failover "
        "(seperti peak di Redis Cluster; satu master dimatikan)",
        "en": "rollout (a regional office), peak (1,000 examinees at 10x the real rate), storm (everyone drops at "
        "once), restart (server processes killed and restarted), soak (long, steady rate), failover (peak on a "
        "Redis Cluster; a master is killed)",
    },
    "bad_target": {"id": "target ditolak: {error}", "en": "target refused: {error}"},
    "bad_option": {"id": "opsi tidak sah: {error}", "en": "invalid option: {error}"},
    "restart_needs_own": {
        "id": "skenario restart menjalankan servernya sendiri (tanpa --target)",
        "en": "the restart scenario runs its own servers (no --target)",
    },
    "failover_needs_cluster": {
        "id": "skenario failover menjalankan Redis Cluster-nya sendiri (--store cluster, tanpa --target)",
        "en": "the failover scenario runs its own Redis Cluster (--store cluster, no --target)",
    },
    "memory_one_process": {
        "id": "--store memory hanya untuk satu proses (--workers 1 --instances 1)",
        "en": "--store memory runs one process only (--workers 1 --instances 1)",
    },
    "help_examinees": {
        "id": "jumlah peserta (bawaan: menurut skenario)",
        "en": "number of examinees (default: the scenario's)",
    },
    "help_report_dir": {
        "id": "folder untuk report.json, summary.txt dan grafik (bawaan out/load-tests/SKENARIO)",
        "en": "where report.json, summary.txt and the plots go (default out/load-tests/SCENARIO)",
    },
    "help_rooms": {
        "id": "jumlah ruang",
        "en": "number of rooms",
    },
    "help_proctors": {
        "id": "koneksi pengawas per ruang",
        "en": "proctor connections per room",
    },
    "help_store": {
        "id": "penyimpanan server yang dijalankan sendiri: redis (pribadi, port bebas), cluster (Redis Cluster "
        "pribadi: 3 master, 3 replika) atau memory",
        "en": "store of the servers started here: redis (private, free port), cluster (a private Redis Cluster: 3 "
        "masters, 3 replicas) or memory",
    },
    "help_node_timeout_ms": {
        "id": "cluster-node-timeout node Redis Cluster (ms; bawaan 3000): master yang diam selama itu diganti "
        "replikanya",
        "en": "cluster-node-timeout of the Redis Cluster's nodes (ms; default 3000): a master silent that long is "
        "failed over",
    },
    "help_key_prefix": {
        "id": "CAT_KEY_PREFIX server sasaran, untuk memori per sesi (dengan --target; bawaan cat)",
        "en": "the target's CAT_KEY_PREFIX, for the memory per session (with --target; default cat)",
    },
    "help_workers": {
        "id": "proses server per instans (CAT_WORKERS)",
        "en": "server processes per instance (CAT_WORKERS)",
    },
    "help_instances": {
        "id": "instans server terpisah (seperti host di belakang penyeimbang beban)",
        "en": "independent server instances (as hosts behind a load balancer)",
    },
    "help_mode": {
        "id": "loop terbuka (laju tetap) atau tertutup",
        "en": "open loop (fixed rate) or closed loop",
    },
    "help_think": {
        "id": "waktu berpikir nyata: fixed:S, uniform:A:B, exponential:RATA2 atau lognormal:MEDIAN:SIGMA",
        "en": "real think time: fixed:S, uniform:A:B, exponential:MEAN or lognormal:MEDIAN:SIGMA",
    },
    "help_time_scale": {
        "id": "faktor pada waktu berpikir (0.1 = 10x laju nyata)",
        "en": "factor on think times (0.1 = 10x the real rate)",
    },
    "help_arrival_rate": {
        "id": "peserta yang mulai per detik",
        "en": "examinees starting per second",
    },
    "help_drop_share": {
        "id": "porsi peserta yang jaringannya putus sekali",
        "en": "share of examinees whose network drops once",
    },
    "help_max_seconds": {
        "id": "batas waktu fase beban (detik)",
        "en": "bound on the load phase (seconds)",
    },
    "help_operator_groups": {
        "id": "kelompok 4 kursi per ruang yang dijawab satu orang, satu jawaban sekali waktu (deteksi operator)",
        "en": "groups of 4 seats per room answered by one person, one answer at a time (operator detection)",
    },
    "help_operator_think": {
        "id": "waktu berpikir orang itu per soal (seperti --think; bawaan: --think dibagi 4)",
        "en": "that person's think time per item (as --think; default: --think divided by 4)",
    },
    "operator_check": {
        "id": "Memeriksa pola waktu jawaban tiap ruang (operator) dari audit {n} sesi...",
        "en": "Checking each room's answer timing (operator) from the audit of {n} sessions...",
    },
    "help_seed": {
        "id": "benih acak",
        "en": "random seed",
    },
    "help_battery": {
        "id": "baterai yang dijalankan server",
        "en": "the battery the server runs",
    },
    "help_target": {
        "id": "server yang sudah berjalan di loopback, mis. http://127.0.0.1:8000",
        "en": "a running server on loopback, e.g. http://127.0.0.1:8000",
    },
    "help_admin_token": {
        "id": "token admin server itu (dengan --target)",
        "en": "its admin token (with --target)",
    },
    "help_redis_url": {
        "id": "Redis server itu di loopback, untuk angka memori (dengan --target; redis:// atau "
        "redis+cluster://host:port,...)",
        "en": "its Redis on loopback, for memory figures (with --target; redis:// or redis+cluster://host:port,...)",
    },
    "help_server_pid": {
        "id": "PID proses server itu, untuk CPU (dengan --target; bawaan: dari soket yang mendengarkan)",
        "en": "its process ids, for CPU (with --target; default: from its listening socket)",
    },
    "help_no_floor": {
        "id": "lewati pengukuran lantai gema",
        "en": "skip the echo-floor run",
    },
    "help_no_plots": {
        "id": "tanpa grafik PNG",
        "en": "no PNG plots",
    },
    "help_no_progress": {
        "id": "tanpa tampilan kemajuan",
        "en": "no progress display",
    },
    "help_strict": {
        "id": "status keluar 1 bila ada target yang tidak tercapai",
        "en": "exit 1 when any target is missed",
    },
    "help_lang": {
        "id": "bahasa: id (bawaan) atau en",
        "en": "language: id (default) or en",
    },
    # progress
    "starting": {"id": "Menyiapkan {what}...", "en": "Starting {what}..."},
    "phase_server": {"id": "{scenario}: server", "en": "{scenario}: server"},
    "phase_floor": {"id": "{scenario}: {which}", "en": "{scenario}: {which}"},
    "floor_before": {"id": "lantai gema (sebelum server)", "en": "echo floor (before the server)"},
    "floor_after": {"id": "lantai gema (sesudah server)", "en": "echo floor (after the server)"},
    "unit": {"id": "peserta", "en": "examinees"},
    "postfix": {
        "id": "{answers} jawaban, {rate:.0f}/s, p99 {p99:.1f} ms, galat {errors}",
        "en": "{answers} answers, {rate:.0f}/s, p99 {p99:.1f} ms, errors {errors}",
    },
    "opening_rooms": {
        "id": "Pengawas membuka {n} ruang (open_room)...",
        "en": "Proctors opening {n} rooms (open_room)...",
    },
    "verifying": {"id": "Memeriksa hasil tersimpan {n} sesi...", "en": "Checking what {n} sessions stored..."},
    "written": {"id": "Laporan: {path}", "en": "Report: {path}"},
    # summary
    "title": {
        "id": "Uji beban: {scenario} - {examinees} peserta, {rooms} ruang, penyimpanan {store}, "
        "{instances} instans x {workers} proses, loop {mode}, waktu berpikir {think} x {scale:g}",
        "en": "Load test: {scenario} - {examinees} examinees, {rooms} rooms, {store} store, "
        "{instances} instances x {workers} processes, {mode} loop, think time {think} x {scale:g}",
    },
    "target_line": {"id": "Sasaran: {target}", "en": "Target: {target}"},
    "own_target": {
        "id": "server sendiri (dimulai oleh uji ini, alamat loopback)",
        "en": "own servers (started by this run, loopback addresses)",
    },
    "mode_open": {"id": "terbuka (laju tetap)", "en": "open (fixed rate)"},
    "mode_closed": {"id": "tertutup", "en": "closed"},
    "finished_line": {
        "id": "Selesai {finished}/{examinees} peserta dalam {seconds:.1f} s; {answers} jawaban diakui, "
        "{applied} diterapkan server",
        "en": "Finished {finished}/{examinees} examinees in {seconds:.1f} s; {answers} answers acknowledged, "
        "{applied} applied by the server",
    },
    "latency_line": {
        "id": "Latensi jawaban -> butir berikutnya (ms): {stats}",
        "en": "Answer-to-next-item latency (ms): {stats}",
    },
    "floor_phases_line": {
        "id": "  CPU lantai gema per jawaban, sebelum / sesudah fase server: {cpu} us",
        "en": "  Echo floor CPU per answer, before / after the server phase: {cpu} us",
    },
    "floor_latency_line": {"id": "  lantai gema (ms): {stats}", "en": "  echo floor (ms): {stats}"},
    "connect_line": {"id": "Waktu sambung (ms): {stats}", "en": "Connect time (ms): {stats}"},
    "resume_line": {
        "id": "Pulih setelah putus (ms): {stats}; jawaban dikirim ulang dan diakui: {recovered}",
        "en": "Resume after a drop (ms): {stats}; answers resent and acknowledged: {recovered}",
    },
    "lag_line": {"id": "Keterlambatan kirim thd jadwal (ms): {stats}", "en": "Send lag behind schedule (ms): {stats}"},
    "throughput_line": {
        "id": "Laju jawaban: ditawarkan {offered}/s, tercapai {achieved}/s rata-rata; pada 90% tengah: ditawarkan "
        "{s_offered}/s, tercapai {s_achieved}/s; puncak 1 s: {peak}/s",
        "en": "Answer rate: offered {offered}/s, achieved {achieved}/s on average; over the central 90%: offered "
        "{s_offered}/s, achieved {s_achieved}/s; 1 s peak: {peak}/s",
    },
    "errors_line": {"id": "Galat: {n} {codes}", "en": "Errors: {n} {codes}"},
    "retryable_line": {
        "id": "Penolakan 'unavailable' selama gangguan penyimpanan (dapat diulang, bukan galat): {n}",
        "en": "'unavailable' refusals while the store was disrupted (retryable, not errors): {n}",
    },
    "drops_line": {
        "id": "Koneksi putus: {drops}; percobaan sambung ulang gagal: {attempts}",
        "en": "Connections lost: {drops}; failed reconnect attempts: {attempts}",
    },
    "exactly_once_line": {
        "id": "Sekali-tepat: hilang {lost}, ganda {duplicated}, tak cocok {mismatched}, diterapkan tanpa diakui "
        "{unacknowledged}, kirim ulang dijawab dari simpanan {resends}, profil tak cocok {profile}",
        "en": "Exactly once: lost {lost}, duplicated {duplicated}, mismatched {mismatched}, applied but not "
        "acknowledged {unacknowledged}, resends answered from storage {resends}, profile mismatches {profile}",
    },
    "cpu_line": {
        "id": "CPU server per jawaban: {cpu} us (lantai {floor} us, rasio {ratio}); Redis {redis} us; "
        "generator {gen} us",
        "en": "Server CPU per answer: {cpu} us (floor {floor} us, ratio {ratio}); Redis {redis} us; generator {gen} us",
    },
    "ratio_line": {
        "id": "Rasio terhadap lantai gema: latensi p50 {p50}, p99 {p99}, CPU {cpu}",
        "en": "Ratio to the echo floor: latency p50 {p50}, p99 {p99}, CPU {cpu}",
    },
    "memory_line": {
        "id": "Memori Redis: {per_session} KB per sesi, {per_answer} KB per jawaban ({delta} MB untuk {n} sesi); "
        "RSS server maks {rss} MB",
        "en": "Redis memory: {per_session} KB per session, {per_answer} KB per answer ({delta} MB for {n} sessions); "
        "server RSS max {rss} MB",
    },
    "session_memory_line": {
        "id": "Memori Redis per sesi selesai (MEMORY USAGE, {n} sesi dari {rooms} ruang): rata-rata {mean} KB, "
        "maks {max} KB; bagian (byte): {parts}",
        "en": "Redis memory per finished session (MEMORY USAGE, {n} sessions of {rooms} rooms): mean {mean} KB, "
        "max {max} KB; parts (bytes): {parts}",
    },
    "accuracy_title": {
        "id": "Akurasi theta akhir terhadap theta sebenarnya (cat-sim: baterai dan theta yang sama):",
        "en": "Accuracy of the final theta against the true theta (cat-sim: same battery and thetas):",
    },
    "accuracy_row": {
        "id": "  {sub:<26} n={n:<5} RMSE {rmse} (cat-sim {ref}, rasio {ratio})  bias {bias} (cat-sim {ref_bias})  "
        "panjang {length} (cat-sim {ref_length})",
        "en": "  {sub:<26} n={n:<5} RMSE {rmse} (cat-sim {ref}, ratio {ratio})  bias {bias} (cat-sim {ref_bias})  "
        "length {length} (cat-sim {ref_length})",
    },
    "proctor_line": {
        "id": "Pengawas: {n} koneksi, {events} event ({kinds}); ganda {dup}, 'answered' hilang {missing}, "
        "berlebih {extra}, sambung ulang {reconnects}",
        "en": "Proctors: {n} connections, {events} events ({kinds}); duplicates {dup}, 'answered' missing "
        "{missing}, extra {extra}, reconnects {reconnects}",
    },
    "room_gate_line": {
        "id": "Ruang: {rooms}, dibuka pengawas {opened} (sudah terbuka {found_open}); peserta yang menunggu ruang "
        "dibuka {waited}; pesan start {starts}",
        "en": "Rooms: {rooms}, opened by a proctor {opened} (already open {found_open}); examinees who waited for "
        "their room to open {waited}; start frames {starts}",
    },
    "storm_line": {
        "id": "Badai: {dropped} koneksi diputus sekaligus, {resumed} pulih; waktu pulih (ms): {stats}",
        "en": "Storm: {dropped} connections dropped at once, {resumed} resumed; resume time (ms): {stats}",
    },
    "failover_line": {
        "id": "Failover: master {node} ({rooms} ruang) dimatikan pada {answers} jawaban; slot dilayani lagi setelah "
        "{failover} s, node kembali sebagai replika setelah {rejoined} s; {sitting} peserta sedang ujian, pulih "
        "terlama {slowest} s (p50 {p50} s), tidak pulih {unrecovered}; galat selama failover: {codes}",
        "en": "Failover: master {node} ({rooms} rooms) killed at {answers} answers; slots served again after "
        "{failover} s, the node back as a replica after {rejoined} s; {sitting} examinees sitting, slowest "
        "recovery {slowest} s (p50 {p50} s), not recovered {unrecovered}; errors during the failover: {codes}",
    },
    "failover_problem": {"id": "  Masalah failover: {problem}", "en": "  Failover problem: {problem}"},
    "results_line": {
        "id": "Hasil tersimpan: {sessions} sesi selesai, {rows} baris hasil, theta beda dari profil {mismatch}",
        "en": "Stored results: {sessions} finished sessions, {rows} result rows, theta differing from profile "
        "{mismatch}",
    },
    "marks_line": {"id": "Peristiwa: {marks}", "en": "Events: {marks}"},
    "machine_line": {
        "id": "Mesin: {cores} inti, beban rata-rata awal {load0}, akhir {load1}",
        "en": "Machine: {cores} cores, load average at start {load0}, at end {load1}",
    },
    "checks_title": {"id": "Target:", "en": "Targets:"},
    "check_ok": {"id": "TERCAPAI", "en": "MET"},
    "check_fail": {"id": "TIDAK", "en": "NOT MET"},
    "none": {"id": "-", "en": "-"},
}


def message(key: str, lang: str, **values: object) -> str:
    """The message ``key`` in ``lang`` (Bahasa Indonesia when unknown), formatted with ``values``."""
    return _MESSAGES[key][lang if lang in LANGUAGES else "id"].format(**values)
