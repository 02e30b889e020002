"""Turn command lines into calls of the pipeline, and engine errors into messages and exit codes.

The CLI is thin: every command is one call into :mod:`engine.pipeline`. Errors are printed in
Vietnamese with their place; no traceback reaches a user (set VANBAN_DEBUG=1 to see one).
Exit codes are listed in docs/errors.md.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path

import click

from engine import pipeline
from engine.errors import (
    EXIT_INTERNAL,
    EngineError,
    Location,
    OutputError,
    Problem,
    exit_code_for,
)


def _report(error: EngineError, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps([p.as_dict() for p in error.problems], ensure_ascii=False, indent=2))
    else:
        click.echo(str(error), err=True)


def _run(action, as_json: bool = False) -> None:
    try:
        action()
    except EngineError as error:
        _report(error, as_json)
        sys.exit(exit_code_for(error))
    except KeyboardInterrupt:
        click.echo("Đã dừng theo yêu cầu; không có tệp nào được ghi dở.", err=True)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last net: a bug must not show a traceback
        if os.environ.get("VANBAN_DEBUG"):
            traceback.print_exc()
        click.echo(
            f"Lỗi nội bộ của chương trình ({type(exc).__name__}: {exc}).\n"
            "  → Đây là lỗi của phần mềm, không phải của bạn. Hãy gửi tệp đặc tả kèm thông báo này "
            "cho nhóm phát triển (đặt VANBAN_DEBUG=1 để xem chi tiết).",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="vanban-engine")
def main() -> None:
    """Dựng văn bản hành chính (Nghị định 30/2020/NĐ-CP) từ tệp đặc tả YAML."""


@main.command()
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Tệp .docx kết quả.")
@click.option("--force", is_flag=True, help="Ghi đè nếu tệp kết quả đã có.")
def render(spec: Path, output: Path, force: bool) -> None:
    """Dựng văn bản SPEC thành tệp .docx."""

    def action() -> None:
        if output.suffix.lower() != ".docx":
            raise OutputError(Problem(
                "OUTPUT_PATH", f"chưa hỗ trợ định dạng '{output.suffix or '(không có đuôi)'}'",
                Location(file=str(output)), hint="Đặt tên tệp kết quả có đuôi .docx.",
            ))
        written = pipeline.render_to_file(spec, output, force=force)
        click.echo(f"Đã ghi {written}")

    _run(action)


@main.command()
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="In danh sách lỗi dạng JSON.")
def validate(spec: Path, as_json: bool) -> None:
    """Kiểm tra tệp đặc tả SPEC và dữ liệu của nó, không dựng văn bản."""

    def action() -> None:
        prepared = pipeline.prepare(spec)
        if as_json:
            click.echo("[]")
        else:
            click.echo(f"{prepared.loaded.file}: hợp lệ (mẫu {prepared.template_path.name}).")

    _run(action, as_json)


if __name__ == "__main__":
    main()
