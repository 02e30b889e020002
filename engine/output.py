"""Turn rendered bytes into a file on disk atomically, never overwriting without consent.

The bytes go to a temporary file in the target folder, are flushed to disk, then linked into
place: a reader never sees half a document, and a crash leaves no partial file behind. Without
``force`` the final step uses ``os.link``, which fails if the name exists, so even a file that
appears while we render is not clobbered.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from engine.errors import Location, OutputError, Problem
from engine.trust.files import path_name_problem


def check_destination(path: str | Path, *, force: bool) -> Path:
    """Fail early (before rendering) if the output cannot or must not be written."""
    problem = path_name_problem(str(path))
    if problem:
        raise OutputError(Problem("PATH_NAME", f"không ghi được '{str(path)[:120]}': {problem}",
                                  Location(file=str(path)[:200]), hint="Đặt tên tệp kết quả ngắn hơn."))
    path = Path(path)
    try:
        return _check_destination(path, force=force)
    except OSError as exc:
        raise OutputError(Problem("OUTPUT_PATH", f"không ghi được vào đường dẫn này ({exc.strerror})",
                                  Location(file=str(path)))) from None


def _check_destination(path: Path, *, force: bool) -> Path:
    if path.exists() and path.is_dir():
        raise OutputError(Problem("OUTPUT_PATH", "đường dẫn kết quả là một thư mục", Location(file=str(path)),
                                  hint="Ghi tên tệp, ví dụ -o bao_cao.docx."))
    if path.exists() and not force:
        raise OutputError(Problem("OUTPUT_EXISTS", "tệp kết quả đã có, không ghi đè", Location(file=str(path)),
                                  hint="Thêm --force để ghi đè, hoặc chọn tên khác."))
    if not path.parent.exists() and str(path.parent) not in ("", "."):
        raise OutputError(Problem("OUTPUT_PATH", f"thư mục '{path.parent}' không tồn tại",
                                  Location(file=str(path)), hint="Tạo thư mục trước, hoặc chọn đường dẫn khác."))
    return path


def write_atomic(path: str | Path, data: bytes, *, force: bool = False) -> Path:
    """Write ``data`` to ``path`` all at once; refuse to replace an existing file unless forced."""
    path = check_destination(path, force=force)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(Problem("OUTPUT_PATH", f"không ghi được vào thư mục ({exc.strerror})",
                                  Location(file=str(path)))) from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        if force:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise OutputError(Problem("OUTPUT_EXISTS", "tệp kết quả vừa được tạo bởi chương trình khác",
                                          Location(file=str(path)), hint="Thêm --force để ghi đè.")) from None
            except OSError:
                # Some file systems have no hard links; fall back to a checked rename.
                if path.exists():
                    raise OutputError(Problem("OUTPUT_EXISTS", "tệp kết quả đã có, không ghi đè",
                                              Location(file=str(path)))) from None
                os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(Problem("OUTPUT_PATH", f"không ghi được tệp ({exc.strerror})",
                                  Location(file=str(path)))) from None
    finally:
        tmp.unlink(missing_ok=True)
    return path
