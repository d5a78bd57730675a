"""The one table of wire errors, and :class:`Refusal`, the one exception the server raises for them.

Every error a client can receive, over a WebSocket (an ``error`` frame, or a result in a proctor's ``ack``) or the
admin HTTP API (``{"error": {...}}``), is a row of :data:`WIRE_ERRORS`: its stable code, the WebSocket close code
that follows it (None: the connection stays open), the HTTP status it takes on the admin API (None: never sent
there), whether the same request may succeed if sent again unchanged later, and its text in Bahasa Indonesia and
English. ``docs/protocol.md`` holds the same table; ``tests/test_server_wire_errors.py`` checks the two agree.

The core's candidate and proctor errors (:mod:`cat_engine.errors`) reach the wire by their ``code``
(:meth:`Refusal.of`); a core error whose code has no row here (a pool author's, or our own fault) is ``internal``.
Moves that answer without changing anything are return values of the use cases, never exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import CatError

__all__ = ["WIRE_ERRORS", "Refusal", "WireError", "text"]


@dataclass(frozen=True)
class WireError:
    """One row of the table (see the module docstring)."""

    code: str
    close: int | None
    http_status: int | None
    retryable: bool
    text_id: str
    text_en: str


def _rows(*rows: WireError) -> dict[str, WireError]:
    return {row.code: row for row in rows}


WIRE_ERRORS = _rows(
    WireError("bad_message", None, None, False, "Pesan tidak dapat dibaca.", "The message could not be read."),
    WireError(
        "too_large",
        1009,
        413,
        False,
        "Pesan atau isi permintaan terlalu besar.",
        "The message or request body is too large.",
    ),
    WireError(
        "flood", 1008, None, True, "Terlalu banyak pesan dalam waktu singkat.", "Too many messages in a short time."
    ),
    WireError(
        "bad_token", 4001, None, False, "Token tidak dikenal atau sudah kedaluwarsa.", "Unknown or expired token."
    ),
    WireError(
        "not_authenticated",
        None,
        None,
        True,
        "Kirim 'hello' dengan token terlebih dahulu.",
        "Send 'hello' with a token first.",
    ),
    WireError("hello_timeout", 4008, None, True, "Token tidak dikirim tepat waktu.", "No token was sent in time."),
    WireError(
        "wrong_seq",
        None,
        None,
        False,
        "Jawaban ini bukan untuk soal yang sedang ditampilkan.",
        "This answer is not for the item shown.",
    ),
    WireError("bad_response", None, None, False, "Pilihan jawaban tidak valid.", "Not a valid option."),
    WireError("not_started", None, None, True, "Sesi belum dimulai.", "The session has not started."),
    WireError("paused", None, None, True, "Sesi sedang dijeda oleh pengawas.", "The session is paused by the proctor."),
    WireError("time_up", None, None, False, "Waktu subtes ini sudah habis.", "The time for this subtest is up."),
    WireError("finished", None, None, False, "Tes sudah selesai.", "The test is finished."),
    WireError(
        "terminated",
        4003,
        None,
        False,
        "Sesi dihentikan oleh pengawas.",
        "The session was terminated by the proctor.",
    ),
    WireError(
        "taken_over",
        4002,
        None,
        False,
        "Sesi ini dibuka di tempat lain; koneksi ini ditutup.",
        "This session was opened elsewhere; this connection is closed.",
    ),
    WireError(
        "bad_command",
        None,
        None,
        False,
        "Perintah tidak sesuai dengan keadaan sesi.",
        "The command does not fit the session's state.",
    ),
    WireError("forbidden", None, None, False, "Tidak diizinkan.", "Not allowed."),
    WireError("not_found", None, 404, False, "Tidak ditemukan.", "Not found."),
    WireError(
        "unauthorized",
        None,
        401,
        False,
        "Diperlukan token admin (atau token pengawas ruang ini).",
        "An admin bearer token (or this room's proctor token) is required.",
    ),
    WireError("bad_request", None, 400, False, "Permintaan tidak valid.", "The request is not valid."),
    WireError(
        "duplicate_employee",
        None,
        409,
        False,
        "NIP ini sudah terdaftar di ruang ini; tidak ada peserta yang disimpan.",
        "This employee id is already registered in this room; no candidate was stored.",
    ),
    WireError(
        "unsupported_media_type",
        None,
        415,
        False,
        "Jenis isi tidak didukung; kirim JSON atau CSV.",
        "Unsupported content type; send JSON or CSV.",
    ),
    WireError(
        "rate_limited",
        None,
        None,
        True,
        "Terlalu banyak percobaan; tunggu sebentar lalu coba lagi.",
        "Too many attempts; wait a moment and try again.",
    ),
    WireError(
        "too_many_connections",
        4009,
        None,
        True,
        "Token ini sudah terbuka di terlalu banyak jendela; tutup salah satunya.",
        "This token is open in too many windows; close one of them.",
    ),
    WireError(
        "started",
        None,
        409,
        False,
        "Peserta sudah mulai tes; datanya tidak dapat diubah atau dihapus lagi.",
        "The candidate has started the test; their record can no longer be changed or removed.",
    ),
    WireError(
        "seat_denied",
        4011,
        None,
        False,
        "Pengawas tidak menyetujui pindah ke komputer ini; lanjutkan di komputer semula atau hubungi pengawas.",
        "The proctor did not approve the move to this computer; go on at the first one or call the proctor.",
    ),
    WireError(
        "idle",
        4010,
        None,
        True,
        "Sambungan tidak mengirim apa pun terlalu lama; sambungkan kembali.",
        "The connection sent nothing for too long; reconnect.",
    ),
    WireError(
        "restarting",
        1012,
        None,
        True,
        "Server sedang dimulai ulang; sambungan dipulihkan sebentar lagi.",
        "The server is restarting; reconnect in a moment.",
    ),
    WireError(
        "unavailable",
        1013,
        503,
        True,
        "Penyimpanan data tidak dapat dihubungi; coba lagi.",
        "The store cannot be reached; try again.",
    ),
    WireError(
        "internal", 1011, 500, True, "Gangguan pada server; coba lagi sebentar.", "A server fault; try again shortly."
    ),
)


def text(code: str, lang: str = "id", detail: str = "") -> str:
    """The text of ``code`` in ``lang`` (``id`` unless ``en``), followed by ``detail`` (English, for developers).

    An unknown code gets the text of ``internal``.
    """
    row = WIRE_ERRORS.get(code, WIRE_ERRORS["internal"])
    base = row.text_en if lang == "en" else row.text_id
    return f"{base} ({detail})" if detail else base


class Refusal(Exception):
    """An error for a client: a code of :data:`WIRE_ERRORS`, a detail for developers, and fields for programs.

    Parameters
    ----------
    code : str
        A code of the table (anything else is a bug and raises ValueError).
    detail : str
        English words appended to the text, e.g. which field was wrong.
    **fields : str or int
        Extra fields of the error object, e.g. ``employee_id`` of ``duplicate_employee``.
    """

    def __init__(self, code: str, detail: str = "", **fields: str | int) -> None:
        if code not in WIRE_ERRORS:
            raise ValueError(f"no wire error {code!r}")
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail
        self.fields = fields

    @property
    def row(self) -> WireError:
        return WIRE_ERRORS[self.code]

    @property
    def close(self) -> int | None:
        """The WebSocket close code that follows the error frame (None: the connection stays open)."""
        return self.row.close

    def message(self, lang: str) -> str:
        return text(self.code, lang, self.detail)

    @classmethod
    def of(cls, exc: CatError) -> Refusal:
        """The refusal of a core error: the same code when the table has it, ``internal`` otherwise."""
        code = exc.code if exc.code in WIRE_ERRORS else "internal"
        return cls(code, str(exc))
