"""Texts of the error frames, in Bahasa Indonesia (default) and English, by stable error code."""

from __future__ import annotations

__all__ = ["text"]

_TEXTS: dict[str, tuple[str, str]] = {
    "bad_message": ("Pesan tidak dapat dibaca.", "The message could not be read."),
    "too_large": ("Pesan terlalu besar.", "The message is too large."),
    "flood": ("Terlalu banyak pesan dalam waktu singkat.", "Too many messages in a short time."),
    "bad_token": ("Token tidak dikenal atau sudah kedaluwarsa.", "Unknown or expired token."),
    "not_authenticated": ("Kirim 'hello' dengan token terlebih dahulu.", "Send 'hello' with a token first."),
    "hello_timeout": ("Token tidak dikirim tepat waktu.", "No token was sent in time."),
    "wrong_seq": ("Jawaban ini bukan untuk soal yang sedang ditampilkan.", "This answer is not for the item shown."),
    "bad_response": ("Pilihan jawaban tidak valid.", "Not a valid option."),
    "not_started": ("Sesi belum dimulai.", "The session has not started."),
    "paused": ("Sesi sedang dijeda oleh pengawas.", "The session is paused by the proctor."),
    "time_up": ("Waktu subtes ini sudah habis.", "The time for this subtest is up."),
    "finished": ("Tes sudah selesai.", "The test is finished."),
    "terminated": ("Sesi dihentikan oleh pengawas.", "The session was terminated by the proctor."),
    "taken_over": (
        "Sesi ini dibuka di tempat lain; koneksi ini ditutup.",
        "This session was opened elsewhere; this connection is closed.",
    ),
    "bad_command": ("Perintah tidak sesuai dengan keadaan sesi.", "The command does not fit the session's state."),
    "forbidden": ("Tidak diizinkan.", "Not allowed."),
    "not_found": ("Sesi tidak ditemukan.", "Session not found."),
    "internal": ("Gangguan pada server; coba lagi sebentar.", "A server fault; try again shortly."),
}


def text(code: str, lang: str = "id", detail: str = "") -> str:
    """The message for ``code`` in ``lang``, followed by ``detail`` (English, for developers) when given."""
    pair = _TEXTS.get(code, _TEXTS["internal"])
    base = pair[1] if lang == "en" else pair[0]
    return f"{base} ({detail})" if detail else base
