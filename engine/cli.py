"""Turn command lines into calls of the pipeline, and engine errors into messages and exit codes.

The CLI is thin: every command is one call into :mod:`engine.pipeline`. Errors are printed in
Vietnamese with their place; no traceback reaches a user (set VANBAN_DEBUG=1 to see one).
Exit codes are listed in docs/errors.md.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import traceback
from functools import partial
from pathlib import Path

import click

from engine import pipeline
from engine.audit import ERROR, INFO, WARNING, Finding
from engine.errors import (
    EXIT_AUDIT_FINDINGS,
    EXIT_INTERNAL,
    AuditError,
    EngineError,
    Location,
    OutputError,
    Problem,
    SpecError,
    exit_code_for,
)
from engine.output import check_destination, write_atomic
from engine.trust.files import InputFile, read_file
from engine.trust.limits import Limits, current_limits, parse_limit_settings, using_limits
from engine.trust.packages import open_package

EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # what a shell reports for a program ended by SIGPIPE


def _report(error: EngineError, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps([p.as_dict() for p in error.problems], ensure_ascii=False, indent=2))
    else:
        click.echo(str(error), err=True)


def _run(action, as_json: bool = False, limits: Limits | None = None) -> None:
    try:
        with using_limits(limits):
            action()
    except EngineError as error:
        _report(error, as_json)
        sys.exit(exit_code_for(error))
    except KeyboardInterrupt:
        click.echo("Đã dừng theo yêu cầu; không có tệp nào được ghi dở.", err=True)
        _exit_after_interrupt()
    except BrokenPipeError:
        # The reader of our output went away (| head): nothing more to say, and no message about it.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(EXIT_BROKEN_PIPE)
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


class _Interrupts:
    """Ctrl-C: the first stops the work where it is safe (KeyboardInterrupt); a second ends at once, quietly.

    Nothing is half-written either way (every file is written atomically); a second Ctrl-C also ends
    the LibreOffice this process started, so nothing is left running.
    """

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, signum: int, frame: object) -> None:
        self.count += 1
        if self.count == 1:
            raise KeyboardInterrupt
        converter = pipeline.running_converter()
        if converter is not None:
            converter.kill()
        os.write(2, "\nĐã dừng.\n".encode())
        os._exit(EXIT_INTERRUPTED)


def _exit_after_interrupt() -> None:
    """Leave after a Ctrl-C: end LibreOffice now (a second Ctrl-C meanwhile still ends at once), then exit 130.

    While Python shuts down it puts its own signal handlers back to the default, which a second Ctrl-C
    would meet as a kill by signal; an ignored signal stays ignored, so from here on Ctrl-C is ignored.
    """
    converter = pipeline.running_converter()
    if converter is not None:
        converter.close()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(EXIT_INTERRUPTED)


def _limits_option(context: click.Context, parameter: click.Parameter, values: tuple[str, ...]) -> Limits | None:
    if not values:
        return None
    try:
        return parse_limit_settings(values, base=current_limits())
    except EngineError as error:
        raise click.BadParameter("; ".join(f"{p.message}. {p.hint or ''}".strip() for p in error.problems)) from None


def trust_options(command):
    """``--cho-phep DIR`` (more folders a spec may read) and ``--gioi-han ten=giá_trị`` (a limit), for a command."""
    command = click.option(
        "--gioi-han", "limits", multiple=True, callback=_limits_option, metavar="TEN=GIA_TRI",
        help="Đổi một giới hạn an toàn, ví dụ --gioi-han so_dong=100000 (xem README, mục Giới hạn).")(command)
    command = click.option(
        "--cho-phep", "allowed", multiple=True, type=click.Path(file_okay=False, exists=True, path_type=Path),
        help="Cho phép đặc tả đọc tệp trong thư mục này (ngoài thư mục của đặc tả); ghi nhiều lần được.")(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="vanban-engine")
def main() -> None:
    """Dựng văn bản hành chính (Nghị định 30/2020/NĐ-CP) từ tệp đặc tả YAML."""
    if threading.current_thread() is threading.main_thread():
        interrupts = _Interrupts()
        previous = signal.signal(signal.SIGINT, interrupts)

        def restore() -> None:
            # After a Ctrl-C the handler stays until the process ends, so a second one still ends it quietly.
            if not interrupts.count:
                signal.signal(signal.SIGINT, previous)

        click.get_current_context().call_on_close(restore)


OUTPUT_KINDS = (".docx", ".pdf")


@main.command()
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", "outputs", required=True, multiple=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Tệp kết quả .docx hoặc .pdf; ghi -o hai lần để có cả hai (-o bc.docx -o bc.pdf).")
@click.option("--force", is_flag=True, help="Ghi đè nếu tệp kết quả đã có.")
@click.option("--strict", is_flag=True, help="Không dựng nếu kiểm tra số liệu (audit) thấy lỗi.")
@trust_options
def render(spec: Path, outputs: tuple[Path, ...], force: bool, strict: bool, allowed: tuple[Path, ...],
           limits: Limits | None) -> None:
    """Dựng văn bản SPEC thành tệp .docx và/hoặc .pdf (kiểm tra số liệu và cảnh báo trước khi dựng)."""

    def action() -> None:
        for output in outputs:
            if output.suffix.lower() not in OUTPUT_KINDS:
                raise OutputError(Problem(
                    "OUTPUT_PATH", f"chưa hỗ trợ định dạng '{output.suffix or '(không có đuôi)'}'",
                    Location(file=str(output)), hint="Đặt tên tệp kết quả có đuôi .docx hoặc .pdf.",
                ))
            check_destination(output, force=force)  # before any work
        prepared = pipeline.prepare(spec, allowed=allowed)
        errors = [f for f in prepared.findings if f.level == ERROR]
        if strict and errors:
            raise AuditError([Problem("AUDIT_FIGURES", str(f), f.location,
                                      hint="Sửa số liệu ghi, hoặc bỏ --strict để vẫn dựng và xem cảnh báo.")
                              for f in errors])
        _warn(prepared.findings)
        docx = pipeline.render_prepared(prepared)
        _tell(pipeline.template_notices(prepared))
        files = {output: docx for output in outputs if output.suffix.lower() == ".docx"}
        if any(output.suffix.lower() == ".pdf" for output in outputs):
            result = pipeline.docx_to_pdf(docx, source=str(spec))
            for notice in result.notices:
                click.echo(f"Lưu ý: {notice}", err=True)
            files.update({output: result.pdf for output in outputs if output.suffix.lower() == ".pdf"})
        for output, data in files.items():  # every file is ready before the first is written
            click.echo(f"Đã ghi {write_atomic(output, data, force=force)}")

    _run(action, limits=limits)


def _tell(notices: tuple[str, ...]) -> None:
    for notice in notices:
        click.echo(f"Lưu ý: {notice}", err=True)


def _warn(findings: tuple[Finding, ...] | list[Finding]) -> None:
    if findings:
        click.echo(f"Kiểm tra số liệu: {len(findings)} điểm cần xem (chạy 'audit' để xem chi tiết):", err=True)
        for finding in findings:
            click.echo(f"  {finding}", err=True)


def audit_summary(findings: list[Finding] | tuple[Finding, ...]) -> str:
    """ "2 lỗi, 1 cảnh báo, 1 lưu ý (số liệu chưa kiểm tra được)."; only errors fail audit and --strict."""
    counts = {level: sum(f.level == level for f in findings) for level in (ERROR, WARNING, INFO)}
    text = f"{counts[ERROR]} lỗi, {counts[WARNING]} cảnh báo"
    if counts[INFO]:
        text += f", {counts[INFO]} lưu ý (số liệu chưa kiểm tra được)"
    if not counts[ERROR] and not counts[WARNING]:
        text += "; không thấy số liệu nào sai"
    return text + "."


def read_document(path: Path) -> bytes:
    """The bytes of a document the user named (a regular file within its limit), or a named error."""
    return read_file(path, role="van_ban").data


def _document(path: Path) -> InputFile:
    return read_file(path, role="van_ban")


@main.command()
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="In danh sách phát hiện dạng JSON.")
@trust_options
def audit(spec: Path, as_json: bool, allowed: tuple[Path, ...], limits: Limits | None) -> None:
    """Kiểm tra mọi số liệu mà dữ liệu hoặc đặc tả SPEC ghi sẵn, so với số liệu tính được."""

    def action() -> None:
        findings = pipeline.audit(spec, allowed=allowed)
        if as_json:
            click.echo(json.dumps([f.as_dict() for f in findings], ensure_ascii=False, indent=2))
        elif findings:
            for finding in findings:
                click.echo(str(finding))
            click.echo(audit_summary(findings))
        else:
            click.echo("Không thấy số liệu nào sai.")
        if any(f.level == ERROR for f in findings):
            sys.exit(EXIT_AUDIT_FINDINGS)

    _run(action, as_json, limits)


@main.command()
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="In danh sách lỗi dạng JSON.")
@trust_options
def validate(spec: Path, as_json: bool, allowed: tuple[Path, ...], limits: Limits | None) -> None:
    """Kiểm tra tệp đặc tả SPEC và dữ liệu của nó, không dựng văn bản."""

    def action() -> None:
        prepared = pipeline.prepare(spec, allowed=allowed)
        notices = pipeline.lint_prepared(prepared)  # the templates too: a spec that validates renders
        if as_json:
            click.echo("[]")
        else:
            _tell(notices)
            click.echo(f"{prepared.loaded.file}: hợp lệ (mẫu {prepared.template_path.name}).")

    _run(action, as_json, limits)


def _layout_of(path: Path, allowed: tuple[Path, ...] = ()):
    """The layout of a .docx, or of the document a spec renders to (nothing is written)."""
    from engine.render.layout import read_layout

    if path.suffix.lower() in (".yaml", ".yml"):
        return read_layout(pipeline.render(path, allowed=allowed), name=str(path))
    return read_layout(read_document(path), name=str(path))


@main.command()
@click.argument("document", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yaml", "as_yaml", is_flag=True, help="In dạng dữ liệu YAML thay vì dàn ý.")
@click.option("--so-voi", "compare", type=click.Path(dir_okay=False, path_type=Path),
              help="So với một dàn ý đã lưu; in chỗ khác nhau, mã thoát 1 nếu khác.")
@trust_options
def snapshot(document: Path, as_yaml: bool, compare: Path | None, allowed: tuple[Path, ...],
             limits: Limits | None) -> None:
    """In dàn ý bố cục của DOCUMENT (.docx, hoặc tệp đặc tả .yaml): trang, lề, từng đoạn, bảng, đầu trang."""
    from engine import snapshot as snap

    def action() -> None:
        from engine.trust.files import decode_text

        layout = _layout_of(document, allowed)
        text = snap.as_yaml(layout) if as_yaml else snap.as_text(layout)
        if compare is None:
            click.echo(text, nl=False)
            return
        saved = decode_text(_document(compare), role="van_ban").text
        diff = snap.snapshot_diff(saved, text, expected_name=str(compare), obtained_name=str(document))
        if diff:
            click.echo(diff, nl=False)
            sys.exit(EXIT_AUDIT_FINDINGS)
        click.echo("Bố cục giống hệt dàn ý đã lưu.")

    _run(action, limits=limits)


@main.command()
@click.argument("document", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="In danh sách phát hiện dạng JSON ([] khi đúng thể thức).")
@trust_options
def check(document: Path, as_json: bool, allowed: tuple[Path, ...], limits: Limits | None) -> None:
    """Kiểm tra thể thức DOCUMENT (.docx, hoặc tệp đặc tả .yaml) theo Nghị định 30/2020/NĐ-CP.

    Với một tệp .docx, cho biết thêm (chỉ để biết, không đổi kết quả kiểm tra) tệp có do chương trình
    dựng và có bị sửa sau khi dựng không.
    """
    from engine.conformance import check_layout
    from engine.info import describe_docx
    from engine.render.layout import read_layout

    def action() -> None:
        origin = None
        if document.suffix.lower() in (".yaml", ".yml"):
            layout = _layout_of(document, allowed)
        else:
            data = read_document(document)
            layout = read_layout(data, name=str(document))
            origin = describe_docx(data, str(document))
        findings = check_layout(layout)
        if as_json:
            click.echo(json.dumps({"findings": [f.as_dict() for f in findings],
                                   "provenance": origin.as_dict() if origin else None}, ensure_ascii=False, indent=2))
        else:
            if findings:
                for finding in findings:
                    click.echo(f"- {finding}")
                click.echo(f"{len(findings)} điểm chưa đúng thể thức Nghị định 30.")
            else:
                click.echo(f"{document}: đúng thể thức Nghị định 30 (không thấy điểm nào sai).")
            if origin is not None:
                click.echo(f"Nguồn gốc (để biết, không tính vào kết quả kiểm tra): {origin.summary}")
        if findings:
            sys.exit(EXIT_AUDIT_FINDINGS)

    _run(action, as_json, limits)


@main.command()
@click.argument("document", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON.")
@trust_options
def info(document: Path, as_json: bool, allowed: tuple[Path, ...], limits: Limits | None) -> None:
    """In nguồn gốc của DOCUMENT (.docx hoặc .pdf): phiên bản chương trình, các tệp đầu vào và mã băm của chúng,
    tiêu đề, cơ quan ban hành, ngày; và tệp có bị sửa sau khi dựng không."""
    from engine.info import describe

    def action() -> None:
        described = describe(read_document(document), str(document))
        if as_json:
            click.echo(json.dumps(described.as_dict(), ensure_ascii=False, indent=2))
        else:
            click.echo("\n".join(described.lines()))

    _run(action, as_json, limits)


@main.command()
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", "folder", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Thư mục ghi ảnh trang (trang-1.png, trang-2.png …); được tạo nếu chưa có.")
@click.option("--dpi", default=80, show_default=True, type=click.IntRange(20, 300), help="Độ phân giải ảnh.")
@click.option("--force", is_flag=True, help="Ghi đè ảnh trang đã có trong thư mục.")
@trust_options
def preview(source: Path, folder: Path, dpi: int, force: bool, allowed: tuple[Path, ...],
            limits: Limits | None) -> None:
    """Vẽ ảnh PNG từng trang của SOURCE (tệp đặc tả .yaml, .docx hoặc .pdf) để xem bằng mắt."""
    from engine.convert.pages import page_images

    def action() -> None:
        if folder.exists() and not folder.is_dir():
            raise OutputError(Problem("OUTPUT_PATH", "đường dẫn ảnh trang là một tệp, không phải thư mục",
                                      Location(file=str(folder)), hint="Chọn một thư mục."))
        existing = sorted(folder.glob("trang-*.png")) if folder.is_dir() else []
        if existing and not force:  # said before the conversion, not after it
            raise OutputError(Problem(
                "OUTPUT_EXISTS", f"thư mục đã có ảnh trang ({existing[0].name} …), không ghi đè",
                Location(file=str(folder)), hint="Thêm --force để ghi đè, hoặc chọn thư mục khác.",
            ))
        suffix = source.suffix.lower()
        if suffix in (".yaml", ".yml"):
            prepared = pipeline.prepare(source, allowed=allowed)
            _warn(prepared.findings)
            result = pipeline.docx_to_pdf(pipeline.render_prepared(prepared), source=str(source))
        elif suffix == ".pdf":
            result = pipeline.PdfResult(read_document(source))
        else:
            docx = read_document(source)
            # LibreOffice will open it: no links that would make it read other files.
            open_package(docx, name=str(source), role="van_ban", for_office=True)
            result = pipeline.docx_to_pdf(docx, source=str(source))
        for notice in result.notices:
            click.echo(f"Lưu ý: {notice}", err=True)
        most = current_limits().so_trang_anh
        images = page_images(result.pdf, dpi=dpi, source=str(source), first_pages=most + 1)
        if len(images) > most:  # one more than the limit was asked for, to know there are more
            images = images[:most]
            click.echo(f"Lưu ý: chỉ vẽ {most} trang đầu (giới hạn so_trang_anh); tệp còn những trang sau.", err=True)
        targets = [folder / f"trang-{number}.png" for number in range(1, len(images) + 1)]
        folder.mkdir(parents=True, exist_ok=True)
        for target, image in zip(targets, images, strict=True):
            write_atomic(target, image, force=force)
        click.echo(f"Đã ghi {len(targets)} ảnh trang vào {folder}")

    _run(action, limits=limits)


@main.command()
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--data", "units", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Danh sách đơn vị (.yaml, .csv, .xlsx): mỗi dòng một đơn vị, cột 'ma' là tên tệp kết quả.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Thư mục kết quả (được tạo nếu chưa có).")
@click.option("--pdf", is_flag=True, help="Ghi thêm PDF cho mỗi đơn vị (mỗi tiến trình một LibreOffice chạy sẵn).")
@click.option("--only-failed", is_flag=True, help="Chỉ dựng lại các đơn vị bị lỗi ở lần chạy trước.")
@click.option("--force", is_flag=True, help="Dựng lại cả đơn vị đã có tệp kết quả (mặc định: bỏ qua, chạy tiếp).")
@click.option("-j", "--jobs", type=click.IntRange(1, 256), default=None,
              help="Số tiến trình song song (mặc định: số nhân CPU; với --cum-may: các worker của cụm quyết định).")
@click.option("--cum-may", "--cluster", "cluster", default=None, metavar="DIA_CHI",
              help="Dựng trên cụm máy Dask: địa chỉ bộ lập lịch, ví dụ tcp://may-chu:8786 (cần vanban-engine[cum]; "
                   "thư mục dùng chung ở cùng đường dẫn trên mọi máy, xem README).")
@click.option("--cho-ket-noi", "connect_seconds", type=click.FloatRange(0.1, 600), default=10.0, show_default=True,
              metavar="GIAY", help="Với --cum-may: chờ kết nối bộ lập lịch và worker đầu tiên tối đa chừng này giây.")
@trust_options
def batch(spec: Path, units: Path, out: Path, pdf: bool, only_failed: bool, force: bool, jobs: int | None,
          cluster: str | None, connect_seconds: float, allowed: tuple[Path, ...], limits: Limits | None) -> None:
    """Dựng mỗi đơn vị trong --data một văn bản theo đặc tả SPEC, song song; lỗi một đơn vị không dừng lô."""
    from engine.batch import REPORT, read_units_placed, run_batch

    def action() -> None:
        rows, places = read_units_placed(units)
        run = run_batch
        if cluster is not None:
            from engine.cluster import quiet_dask_logging, run_batch_on_cluster

            quiet_dask_logging()
            run = partial(run_batch_on_cluster, cluster.strip(), connect_seconds=connect_seconds)
        with click.progressbar(length=len(rows), label="Đang dựng", file=sys.stderr, show_pos=True,
                               show_percent=True) as bar:
            try:
                summary = run(spec, units, out, pdf=pdf, force=force, only_failed=only_failed,
                              workers=jobs, progress=bar.update, units=rows, allowed=allowed, places=places)
            except KeyboardInterrupt:
                click.echo(f"\nĐã dừng theo yêu cầu. Các tệp đã ghi đều trọn vẹn (xem {out}/{REPORT}); "
                           "chạy lại cùng lệnh để dựng tiếp các đơn vị còn lại.", err=True)
                _exit_after_interrupt()
        ok, failed, skipped = summary.count("ok"), summary.count("loi"), summary.count("bo_qua")
        warned = sum(1 for r in summary.results if r.warnings)
        click.echo(f"Xong {len(summary.results)} đơn vị trong {summary.seconds:.1f} s "
                   f"({summary.per_second:.0f} văn bản/giây): {ok} đã dựng, {failed} lỗi, {skipped} bỏ qua.")
        if summary.plan:
            click.echo(f"So với lần chạy trước ({REPORT}): {summary.plan_message()}.")
        if warned:
            click.echo(f"{warned} đơn vị có số liệu ghi khác số tính được (xem 'warnings' trong {out}/{REPORT}).")
        for result in summary.results:
            if result.status == "loi":
                click.echo(f"  LỖI {result.ma}: {result.reason}", err=True)
        if failed:
            click.echo(f"Sửa rồi chạy lại với --only-failed để chỉ dựng {failed} đơn vị lỗi.", err=True)
            sys.exit(EXIT_AUDIT_FINDINGS)

    _run(action, limits=limits)


@main.command()
@click.argument("template", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--spec", "spec", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Kiểm tra thêm các tên dữ liệu và kết quả chấm điểm của đặc tả này.")
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON.")
@trust_options
def lint(template: Path, spec: Path | None, as_json: bool, allowed: tuple[Path, ...], limits: Limits | None) -> None:
    """Kiểm tra mẫu .docx TEMPLATE, không dựng: mọi lỗi cùng lúc, hoặc danh sách biến mẫu đọc."""
    from engine.render.lint import lint_template

    def action() -> None:
        names = None
        if spec is not None:
            prepared = pipeline.prepare(spec, allowed=allowed)
            names = {**prepared.data, **{name: result.view for name, result in prepared.scored.items()}}
        report = lint_template(template, names=names)
        if as_json:
            click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        else:
            for finding in report.findings:
                click.echo(str(finding))
            if report.errors:
                click.echo(f"{len(report.errors)} lỗi trong mẫu {template.name}.")
            else:
                click.echo(f"{template.name}: không thấy lỗi. Mẫu đọc các biến:")
                for variable in report.variables:
                    click.echo(f"  {variable}")
        if report.errors:
            sys.exit(EXIT_AUDIT_FINDINGS)

    _run(action, as_json, limits)


def _period_option(context: click.Context, parameter: click.Parameter, value: str | None):
    if value is None:
        return None
    from engine.vn.periods import FORMS_HINT, parse_period

    try:
        return parse_period(value)
    except ValueError as exc:
        raise click.BadParameter(f"{exc}. {FORMS_HINT}") from None


@main.command()
@click.option("--from", "source", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Văn bản .docx đã có (tháng trước, do chương trình dựng hoặc gõ bằng Word).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Tệp đặc tả sẽ ghi (.yaml); các tệp số liệu của bảng ghi cạnh nó.")
@click.option("--ky", "period", callback=_period_option, default=None, metavar="KỲ",
              help="Chuyển đặc tả sang kỳ mới, ví dụ --ky 'tháng 5 năm 2023' (số và ngày để trống cho văn bản mới).")
@click.option("--bo-tieu-chi", "frameworks", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Tệp bộ tiêu chí của tỉnh để nhận ra bảng phụ lục (ngoài các bộ có sẵn); ghi nhiều lần được.")
@click.option("--force", is_flag=True, help="Ghi đè tệp đặc tả và tệp số liệu nếu đã có.")
@trust_options
def init(source: Path, output: Path, period, frameworks: tuple[Path, ...], force: bool, allowed: tuple[Path, ...],
         limits: Limits | None) -> None:
    """Lập tệp đặc tả (và tệp số liệu của các bảng) từ một văn bản .docx đã có: văn bản tháng trước làm điểm đầu."""
    from engine.recover import recover
    from engine.scoring.loader import load_framework

    def action() -> None:
        if output.suffix.lower() not in (".yaml", ".yml"):
            raise OutputError(Problem("OUTPUT_PATH", "tệp đặc tả phải có đuôi .yaml", Location(file=str(output)),
                                      hint="Ví dụ: -o bao_cao_thang_5.yaml."))
        check_destination(output, force=force)
        document = read_document(source)
        extra = tuple(load_framework(read_file(path, role="du_lieu", limit="tep_yaml").path or path,
                                     shown=str(path)) for path in frameworks)
        recovery = recover(document, name=str(source), period=period, frameworks=extra)
        folder = output.parent
        targets = {folder / name: data for name, data in recovery.files.items()}
        for target in targets:
            check_destination(target, force=force)  # every file is checked before the first is written
        text = recovery.yaml(source=source.name)
        for target, data in targets.items():
            click.echo(f"Đã ghi {write_atomic(target, data, force=force)}")
        click.echo(f"Đã ghi {write_atomic(output, text.encode('utf-8'), force=force)}")
        if recovery.period is not None:
            click.echo(f"Kỳ báo cáo: {recovery.period}")
        for note in recovery.notes:
            click.echo(f"Lưu ý: {note}", err=True)
        comments = len(recovery.comments)
        if comments:
            click.echo(f"{comments} chỗ trong đặc tả có ghi chú '# …': xem và điền trước khi dựng.", err=True)
        click.echo(f"Kiểm tra: vanban validate {output}")

    _run(action, limits=limits)


@main.command()
@click.argument("table", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--sheet", "--trang-tinh", "sheet", default=None, help="Trang tính của tệp .xlsx (mặc định: trang đầu).")
@click.option("--so-don-vi", "first_units", type=click.IntRange(0, None), default=None,
              help="Số dòng đơn vị in ra (mặc định 5; với --json: tất cả).")
@click.option("--bo-tieu-chi", "framework", default=None,
              help="Gợi ý 'cot:' cho bộ chỉ số này (tên bộ có sẵn như dien_bien_459_2023, hoặc tệp .yaml).")
@click.option("--json", "as_json", is_flag=True, help="In cách đọc bảng dạng JSON.")
@click.option("--gioi-han", "limits", multiple=True, callback=_limits_option, metavar="TEN=GIA_TRI",
              help="Đổi một giới hạn an toàn, ví dụ --gioi-han so_dong=100000 (xem README, mục Giới hạn).")
def data(table: Path, sheet: str | None, first_units: int | None, framework: str | None, as_json: bool,
         limits: Limits | None) -> None:
    """Cho xem chương trình đọc bảng TABLE (.csv, .xlsx) thế nào: dòng tiêu đề, các cột, dòng bỏ qua, đơn vị."""
    from engine.data.readers import read_layout
    from engine.scoring.stage import propose_columns

    def action() -> None:
        layout = read_layout(table, sheet=sheet)
        proposal = propose_columns(layout, _index_framework(framework)) if framework else None
        if as_json:
            shown = layout.as_dict(first_units)
            if proposal is not None:
                shown["goi_y_cot"] = proposal
            click.echo(json.dumps(shown, ensure_ascii=False, indent=2))
            return
        click.echo("\n".join(layout.describe(5 if first_units is None else first_units)))
        if proposal is not None:
            click.echo(f"\nGợi ý 'cot:' cho bộ '{framework}' (xem lại từng dòng trước khi dùng):\ncot:")
            for field, name in proposal.items():
                if name is not None:
                    key = field if field.isidentifier() else json.dumps(field)  # "2.1" is not a YAML number
                    click.echo(f"  {key}: {json.dumps(name, ensure_ascii=False)}")
            missing = [field for field, name in proposal.items() if name is None]
            if missing:
                click.echo(f"  # chưa tìm được một cột rõ ràng cho: {', '.join(missing)}")

    _run(action, as_json, limits)


def _index_framework(name: str):
    """The index framework a user named on the command line (a shipped name or a .yaml file), or a SpecError."""
    from engine.scoring.loader import load_framework
    from engine.scoring.models import IndexFramework

    looks_like_path = "/" in name or "\\" in name or name.lower().endswith((".yaml", ".yml"))
    loaded = load_framework(Path(name) if looks_like_path else name)
    if not isinstance(loaded, IndexFramework):
        raise SpecError(Problem("SPEC_VALUE", f"bộ '{name}' không phải bộ chỉ số (kiểu {loaded.kieu}): không có cột "
                                "chỉ số nào để gợi ý", Location(field="--bo-tieu-chi"),
                                hint="Dùng một bộ chỉ số như qd766 hoặc dien_bien_459_2023."))
    return loaded


@main.command()
@click.option("--json", "as_json", is_flag=True, help="In JSON gọn trên một dòng (mặc định: thụt lề cho dễ đọc).")
@click.option("--ngu-canh", "context", is_flag=True, help="In lược đồ những gì mẫu .docx đọc được (ngữ cảnh của mẫu).")
def schema(as_json: bool, context: bool) -> None:
    """In JSON Schema (draft 2020-12) của tệp đặc tả, để trình soạn thảo gợi ý và kiểm tra (xem docs/spec.md)."""
    from engine.render.lint import context_schema
    from engine.spec.schema import spec_schema

    def action() -> None:
        text = json.dumps(context_schema() if context else spec_schema(), ensure_ascii=False,
                          indent=None if as_json else 2)
        click.echo(text)

    _run(action)


@main.command()
@click.option("--host", default=None, help="Địa chỉ nghe (mặc định 127.0.0.1: chỉ máy này gọi được).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Cổng (mặc định 8000).")
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="Số tiến trình dựng văn bản (mặc định: số nhân CPU).")
@click.option("--pdf-converters", type=click.IntRange(0, 64), default=None,
              help="Số LibreOffice chạy sẵn để chuyển PDF (mặc định 1; 0: chỉ .docx).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Tệp cấu hình YAML (cùng tên như các tùy chọn; tùy chọn dòng lệnh được ưu tiên).")
@click.option("--templates", "templates", multiple=True, type=click.Path(file_okay=False, path_type=Path),
              help="Thư mục mẫu .docx mà yêu cầu gọi bằng tên (mặc định: mẫu của chương trình); ghi nhiều lần được.")
@click.option("--allow-uploaded-templates", is_flag=True, default=None,
              help="Nhận mẫu .docx tải lên (chạy trong hộp cát như mẫu có sẵn).")
@click.option("--api-key-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Tệp khóa API, mỗi dòng một khóa: yêu cầu không có khóa đúng bị từ chối (401).")
@click.option("--gioi-han", "limits", multiple=True, metavar="TEN=GIA_TRI",
              help="Đổi một giới hạn an toàn cho mọi yêu cầu, ví dụ --gioi-han so_dong=100000.")
def serve(host: str | None, port: int | None, workers: int | None, pdf_converters: int | None,
          config_file: Path | None, templates: tuple[Path, ...], allow_uploaded_templates: bool | None,
          api_key_file: Path | None, limits: tuple[str, ...]) -> None:
    """Chạy máy chủ HTTP dựng văn bản (POST /v1/render …; tài liệu API ở /docs)."""

    def action() -> None:
        from engine.service.config import build_config
        from engine.service.server import run_server

        config = build_config(config_file, host=host, port=port, workers=workers, pdf_converters=pdf_converters,
                              templates=templates, allow_uploaded_templates=allow_uploaded_templates,
                              api_key_file=api_key_file, limits=limits)
        run_server(config)

    _run(action)


if __name__ == "__main__":
    main()
