"""Progress bars for the long-running commands: tqdm, drawn on a command's stream.

One look for all of them (a ``#`` bar, redrawn at most every 0.2 s), whether
the stream is a management command's ``self.stdout`` / ``self.stderr`` or a
plain file such as ``sys.stderr``.
"""

from tqdm import tqdm


def _plain(text: str) -> str:
    return text


class _Unbuffered:
    """A command's OutputWrapper ends each write with a newline and styles it
    (stderr in red); tqdm redraws its line with bare carriage returns, plain."""

    def __init__(self, out):
        self.out = out

    def write(self, text: str) -> None:
        self.out.write(text, ending="", style_func=_plain)

    def flush(self) -> None:
        self.out.flush()


def progress_bar(out, *, total: int | None, desc: str = "", unit: str = "it", **options) -> tqdm:
    """A bar on ``out`` (an OutputWrapper or a file); use it as a context manager."""
    stream = _Unbuffered(out) if hasattr(out, "style_func") else out
    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        file=stream,
        ascii=" #",
        mininterval=0.2,
        bar_format="{desc} [{bar:30}] {percentage:5.1f}% {n_fmt}/{total_fmt} {rate_fmt}{postfix}",
        **options,
    )
