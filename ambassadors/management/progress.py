"""The progress display of long commands: a bar on a terminal, a line every few seconds
otherwise (a log file or CI should not fill up with carriage returns)."""

from __future__ import annotations

import time

from django.core.management.base import OutputWrapper
from django.utils.translation import gettext as _

BAR_WIDTH = 30
LINE_EVERY_SECONDS = 5.0


class Progress:
    def __init__(self, stream: OutputWrapper) -> None:
        self.stream = stream
        self.is_tty = stream.isatty()
        self.bar_shown = False
        self.last_line_at = 0.0
        self.last_processed = -1

    def __call__(self, processed: int, total: int) -> None:
        if self.is_tty:
            done = min(processed / total, 1.0) if total else 1.0
            filled = int(done * BAR_WIDTH)
            bar = "█" * filled + "·" * (BAR_WIDTH - filled)
            self.stream.write(f"\r{bar} {done:4.0%} {processed:>9}/{total}", ending="")
            self.stream.flush()
            self.bar_shown = True
        elif processed != self.last_processed and (
            time.monotonic() - self.last_line_at >= LINE_EVERY_SECONDS or processed >= total
        ):
            self.last_line_at, self.last_processed = time.monotonic(), processed
            self.stream.write(
                _("%(processed)s / %(total)s rows read") % {"processed": processed, "total": total}
            )

    def end(self) -> None:
        """Close the bar's line before anything else is printed."""
        if self.bar_shown:
            self.stream.write("")
            self.bar_shown = False
