"""The web page in a real browser (Debian's Chromium through Selenium) against a real `vanban serve` on 127.0.0.1.

The whole path a clerk takes: open the page, start a document, fill the form, see a field error, upload an
export and map its columns, see the pages, download the .docx and the bundle; then a clerk's month (last
month's Tủa Chùa report → next month, from the export); the page loads nothing from elsewhere; it fits an
office screen of 1366×768; with API keys the page is public and its calls need the key.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from engine import pipeline
from engine.conformance import check_layout
from engine.render.layout import read_layout
from engine.render.outline import document_text
from tests.conftest import FIXTURES
from tests.web.browser import browser_available, chromium, served

pytestmark = pytest.mark.skipif(not browser_available(),
                                reason="Chromium is not installed (/usr/bin/chromium and /usr/bin/chromedriver; "
                                       "apt-get install chromium chromium-driver)")

EXPORT = FIXTURES / "xuat_he_thong" / "tua_chua_xlsx" / "diem_xa.xlsx"
LAST_MONTH = FIXTURES / "tua_chua_2023_04"


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    with served(workers=2, pdf_converters=1) as started:
        yield started


@pytest.fixture(scope="module")
def downloads(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("tai_ve")


@pytest.fixture(scope="module")
def browser(downloads) -> Iterator[Any]:
    with chromium(downloads=downloads) as driver:
        yield driver


# ----- how a test drives the page -------------------------------------------------------------------------


def wait_for(condition: Callable[[], Any], timeout: float = 30, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except Exception:  # noqa: BLE001 - an element not there yet
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:g} s for {what or condition}")
        time.sleep(0.05)


def open_page(driver, server) -> None:
    driver.get(server.url + "/")
    wait_for(lambda: driver.execute_script("return document.body.dataset.sanSang === '1'"), what="the page to start")


def field(driver, pointer: str):
    """The first text box of the field at a JSON pointer (else its list)."""
    inside = f'[data-pointer="{pointer}"]'
    boxes = driver.find_elements("css selector", f"{inside} input:not([type=checkbox]), {inside} textarea")
    return boxes[0] if boxes else driver.find_element("css selector", f"{inside} select")


def type_into(driver, pointer: str, text: str, *, clear: bool = True) -> None:
    box = field(driver, pointer)
    if clear:
        box.clear()
        driver.execute_script("arguments[0].dispatchEvent(new Event('input'))", box)
    box.send_keys(text)


def field_error(driver, pointer: str) -> str:
    errors = driver.find_elements("css selector", f'[data-pointer="{pointer}"] > .loi-truong')
    return " ".join(error.text for error in errors)


def version(driver) -> int:
    return driver.execute_script("return state.version")


def preview_of_last_change(driver, timeout: float = 60) -> int:
    """Wait until the page images shown are those of the spec as it stands; the number of pages."""
    wanted = version(driver)
    wait_for(lambda: driver.execute_script("return document.getElementById('cac-trang').dataset.phienBan")
             == str(wanted), timeout, what=f"the preview of version {wanted}")
    return len(driver.find_elements("css selector", "#cac-trang img"))


def download(driver, folder: Path, button: str, suffix: str) -> bytes:
    before = set(folder.glob(f"*{suffix}"))
    driver.find_element("id", button).click()
    path = wait_for(lambda: next(iter(set(folder.glob(f"*{suffix}")) - before), None), 60, what=f"a {suffix} download")
    wait_for(lambda: not list(folder.glob("*.crdownload")), 30, what="the download to finish")
    data = path.read_bytes()
    path.unlink()
    return data


def show_tab(driver, tab: str) -> None:
    driver.find_element("id", tab).click()


# ----- the whole path -------------------------------------------------------------------------------------


def test_a_clerk_starts_a_report_fills_it_maps_an_export_previews_and_downloads_it(browser, server, downloads):
    open_page(browser, server)
    browser.find_element("css selector", "#chon-loai option[value=bao_cao]").click()
    browser.find_element("id", "tao-moi").click()
    wait_for(lambda: field(browser, "/dia_danh"), what="the form")
    type_into(browser, "/co_quan_ban_hanh/ten", "ỦY BAN NHÂN DÂN\nHUYỆN TỦA CHÙA")
    type_into(browser, "/dia_danh", "Tủa Chùa")
    type_into(browser, "/ky", "tháng 5 năm 2023")
    type_into(browser, "/trich_yeu", "Kết quả chấm điểm các xã, thị trấn {{ ky }}")
    type_into(browser, "/noi_dung/0/doan", "Trong {{ ky }}, huyện chấm điểm {{ kq.so_don_vi }} đơn vị.")
    type_into(browser, "/noi_nhan/luu", "VP")
    type_into(browser, "/nguoi_ky/ho_ten", "Lường Tuấn Anh")

    # The body names kq, which no data gives yet: the engine's words, beside the paragraph.
    wait_for(lambda: "kq" in field_error(browser, "/noi_dung/0/doan"), what="the expression's error")

    show_tab(browser, "the-so-lieu")
    browser.find_element("css selector", "#bo-chi-so option[value=dien_bien_459_2023]").click()
    browser.find_element("id", "tai-bang").send_keys(str(EXPORT))
    wait_for(lambda: browser.find_element("css selector", "#trang-tinh option[value='Tháng 4']"), what="the sheets")
    browser.find_element("css selector", "#trang-tinh option[value='Tháng 4']").click()
    wait_for(lambda: "12 đơn vị" in browser.find_element("id", "cach-doc").text, what="the reading of the sheet")
    reading = browser.find_element("id", "cach-doc").text
    assert "dòng tiêu đề cột: dòng 7, 8, 9" in reading and "dòng đánh số cột: 10" in reading
    assert "Trung bình" in reading  # the summary row, skipped and said why
    chosen = browser.execute_script("return state.spec.cham_diem.kq")
    assert chosen["du_lieu"] == "diem_xa.xlsx" and chosen["trang_tinh"] == "Tháng 4"
    assert chosen["cot"]["don_vi"] == "TÊN CƠ QUAN, ĐƠN VỊ" and len(chosen["cot"]) == 15
    # The audit's finding on the summary row is shown beside that row.
    wait_for(lambda: "6,64" in browser.find_element("css selector", "#cach-doc .phat-hien-dong").text,
             what="the audit finding beside the row")

    assert preview_of_last_change(browser) >= 1
    wait_for(lambda: field_error(browser, "/noi_dung/0/doan") == "", what="the error to go")
    show_tab(browser, "the-noi-dung")

    # A field error as the clerk types: the place name emptied.
    type_into(browser, "/dia_danh", "")
    wait_for(lambda: "không được để trống" in field_error(browser, "/dia_danh"), what="the field error")
    assert "lỗi" in browser.find_element("id", "trang-thai-kiem-tra").text
    type_into(browser, "/dia_danh", "Tủa Chùa")
    wait_for(lambda: field_error(browser, "/dia_danh") == "", what="the error to go")
    assert preview_of_last_change(browser) >= 1
    assert browser.find_element("id", "so-trang").text.endswith("trang")

    docx = download(browser, downloads, "tai-docx", ".docx")
    text = document_text(docx)
    assert "Trong tháng 5 năm 2023, huyện chấm điểm 12 đơn vị." in text
    assert "HUYỆN TỦA CHÙA" in text and "Lường Tuấn Anh" in text
    assert check_layout(read_layout(docx)) == []


def test_a_clerks_month_is_done_in_the_page_from_last_months_report_and_the_export(browser, server, downloads,
                                                                                    tmp_path):
    last_month = tmp_path / "bao_cao_thang_4.docx"
    last_month.write_bytes(pipeline.render(LAST_MONTH / "spec.yaml"))
    open_page(browser, server)
    browser.find_element("id", "ky-moi").send_keys("tháng 5 năm 2023")
    browser.find_element("id", "tu-van-ban").send_keys(str(last_month))
    wait_for(lambda: field(browser, "/ky").get_attribute("value") == "tháng 5 năm 2023", what="the recovered spec")
    assert "Lường Tuấn Anh" == field(browser, "/nguoi_ky/ho_ten").get_attribute("value")

    show_tab(browser, "the-so-lieu")
    browser.find_element("id", "tai-bang").send_keys(str(EXPORT))
    wait_for(lambda: browser.find_element("css selector", "#trang-tinh option[value='Tháng 4']"), what="the sheets")
    browser.find_element("css selector", "#trang-tinh option[value='Tháng 4']").click()
    wait_for(lambda: "12 đơn vị" in browser.find_element("id", "cach-doc").text, what="the reading of the sheet")
    # Every field of the framework is mapped from a list (the spec's columns, else the engine's proposal).
    mapping = browser.execute_script("return Object.fromEntries([...document.querySelectorAll('select[data-truong]')]"
                                     ".map(s => [s.dataset.truong, s.value]))")
    assert all(mapping[code] != "" for code in ("don_vi", "cong_khai_1", "hai_long_3", "xep_loai_ghi"))
    assert preview_of_last_change(browser) == 3
    assert "3 trang" == browser.find_element("id", "so-trang").text

    docx = download(browser, downloads, "tai-docx", ".docx")
    text = document_text(docx)
    same_month_from_export = document_text(pipeline.render(FIXTURES / "xuat_he_thong" / "tua_chua_xlsx" / "spec.yaml"))
    assert "tháng 5 năm 2023" in text and "tháng 4 năm 2023" not in text
    wanted = next(line for line in same_month_from_export.splitlines() if "đơn vị xếp loại Tốt" in line)
    assert wanted.replace("tháng 4", "tháng 5") in text.replace("tháng 4", "tháng 5")
    for unit in ("UBND xã Mường Đùn", "UBND xã Tả Phìn", "UBND thị trấn"):
        assert unit in text  # the phụ lục's rows come from the export

    # The same document again from the command line: the bundle holds the spec and the export.
    bundle = download(browser, downloads, "tai-goi", ".zip")
    folder = tmp_path / "goi"
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        assert "spec.yaml" in archive.namelist() and "diem_xa.xlsx" in archive.namelist()
        archive.extractall(folder)
    assert document_text(pipeline.render(folder / "spec.yaml")) == text

    pdf = download(browser, downloads, "tai-pdf", ".pdf")
    assert pdf.startswith(b"%PDF")


# ----- no internet, an office screen, API keys ------------------------------------------------------------


def test_everything_the_page_loads_comes_from_the_service_itself(browser, server):
    open_page(browser, server)
    browser.find_element("id", "tao-moi").click()
    wait_for(lambda: field(browser, "/dia_danh"), what="the form")
    type_into(browser, "/dia_danh", "Tủa Chùa")
    time.sleep(1)
    resources = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    origin = server.url + "/"
    assert resources and all(name.startswith((origin, "blob:" + server.url)) for name in resources), resources
    assert browser.execute_script("return [...document.scripts].every(s => s.src.startsWith(location.origin))")
    assert browser.execute_script("return [...document.styleSheets].every(s => s.href.startsWith(location.origin))")
    assert browser.execute_script("return [...document.fonts].length") == 0  # system fonts only: nothing to fetch
    import httpx

    page = httpx.get(server.url + "/", timeout=10)
    assert "default-src 'self'" in page.headers["content-security-policy"]
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE" and "/v1/" not in
              entry["message"]]
    assert errors == []  # no blocked or missing file


def test_the_page_fits_an_office_screen_of_1366_by_768(browser, server):
    open_page(browser, server)
    browser.find_element("id", "tao-moi").click()
    wait_for(lambda: field(browser, "/dia_danh"), what="the form")
    assert browser.execute_script("return [innerWidth, innerHeight]") == [1366, 768]
    assert browser.execute_script("return document.documentElement.scrollWidth <= innerWidth")
    assert browser.execute_script("return document.documentElement.scrollHeight <= innerHeight")
    for control in ("chon-loai", "tao-moi", "ky-moi", "the-noi-dung", "the-so-lieu", "tai-docx", "tai-pdf",
                    "tai-goi", "so-trang", "the-thuc"):
        box = browser.execute_script("const r = document.getElementById(arguments[0]).getBoundingClientRect();"
                                     "return [r.left, r.top, r.right, r.bottom]", control)
        assert box[0] >= 0 and box[1] >= 0 and box[2] <= 1366 and box[3] <= 768, (control, box)
    for label in ("mo-dac-ta", "tu-van-ban"):
        box = browser.execute_script("const r = document.getElementById(arguments[0]).parentElement"
                                     ".getBoundingClientRect(); return [r.right, r.bottom]", label)
        assert box[0] <= 1366 and box[1] <= 768, (label, box)


def test_with_api_keys_the_page_is_public_and_its_calls_need_the_key(tmp_path):
    key = "khoa-thu-nghiem-0123456789"
    keys = tmp_path / "khoa.txt"
    keys.write_text(key + "\n", encoding="utf-8")
    with served("--api-key-file", str(keys), workers=1, pdf_converters=0) as keyed, chromium() as driver:
        driver.get(keyed.url + "/")
        wait_for(lambda: "khóa API" in driver.find_element("id", "thong-bao").text, what="the page asking for a key")
        assert driver.find_element("id", "o-khoa").is_displayed()
        box = driver.find_element("id", "khoa-api")
        box.send_keys(key)  # saved as it is typed: no change event, no leaving the box
        assert driver.execute_script("return sessionStorage.getItem('vanban-khoa-api')") == key
        wait_for(lambda: driver.execute_script("return document.body.dataset.sanSang === '1'"), what="the page")
        assert driver.find_elements("css selector", "#chon-loai option")
        driver.refresh()  # the key stays for the session
        wait_for(lambda: driver.execute_script("return document.body.dataset.sanSang === '1'"), what="the page")


# ----- the body's blocks; a saved spec -------------------------------------------------------------------


def _click(driver, pointer: str, label: str) -> None:
    """Click the button named ``label`` in the controls of the list item at ``pointer``.

    As a person would: once the form has settled. Right after a change the form is drawn again and a
    button may for a moment lie under another one (Chrome then refuses the click), so the button is
    found again, brought to the middle of the view and clicked, for at most five seconds.
    """
    from selenium.common.exceptions import ElementClickInterceptedException, StaleElementReferenceException

    controls = f'[data-pointer="{pointer}"] > .dieu-khien'
    deadline = time.monotonic() + 5
    while True:
        button = driver.find_element("css selector", f'{controls} button[aria-label="{label}"]')
        try:
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
            button.click()
            return
        except (ElementClickInterceptedException, StaleElementReferenceException):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_body_blocks_are_added_reordered_nested_and_removed_in_the_form(browser, server):
    open_page(browser, server)
    browser.find_element("id", "tao-moi").click()
    wait_for(lambda: field(browser, "/noi_dung/0/doan"), what="the form")
    type_into(browser, "/noi_dung/0/doan", "Đoạn mở đầu.")
    adder = browser.find_element("css selector", '[data-pointer="/noi_dung"] > .danh-sach > .them')
    adder.find_element("css selector", "select").send_keys("Đề mục")
    adder.find_element("css selector", "button").click()
    wait_for(lambda: field(browser, "/noi_dung/1/khoan"), what="the new heading")
    type_into(browser, "/noi_dung/1/khoan", "Kết quả")
    adder = browser.find_element("css selector", '[data-pointer="/noi_dung"] > .danh-sach > .them')
    adder.find_element("css selector", "select").send_keys("Gạch đầu dòng")
    adder.find_element("css selector", "button").click()
    wait_for(lambda: field(browser, "/noi_dung/2/gach"), what="the new bullet")
    type_into(browser, "/noi_dung/2/gach", "Ý thứ nhất\nÝ thứ hai")
    _click(browser, "/noi_dung/2", "vào trong")  # into the heading above it
    assert browser.execute_script("return state.spec.noi_dung") == [
        {"doan": "Đoạn mở đầu."}, {"khoan": "Kết quả", "noi_dung": [{"gach": ["Ý thứ nhất", "Ý thứ hai"]}]}]
    _click(browser, "/noi_dung/1", "lên")
    assert [next(iter(block)) for block in browser.execute_script("return state.spec.noi_dung")] == ["khoan", "doan"]
    _click(browser, "/noi_dung/0/noi_dung/0", "ra ngoài")
    assert browser.execute_script("return state.spec.noi_dung.map(b => Object.keys(b)[0])") == ["khoan", "gach", "doan"]
    picker = browser.find_element("css selector", '[data-pointer="/noi_dung/2"] > .dieu-khien select.dang')
    picker.send_keys("Dấu cộng")  # a paragraph becomes a '+' line with the same words
    wait_for(lambda: browser.execute_script("return state.spec.noi_dung[2].cong === 'Đoạn mở đầu.'"), what="the change")
    _click(browser, "/noi_dung/1", "xóa")
    assert browser.execute_script("return state.spec.noi_dung.length") == 2


def test_a_saved_spec_and_its_data_open_in_the_form_and_render(browser, server):
    open_page(browser, server)
    browser.find_element("id", "mo-dac-ta").send_keys("\n".join(
        str(LAST_MONTH / name) for name in ("spec.yaml", "diem_xa.csv", "du_lieu.yaml")))
    wait_for(lambda: field(browser, "/ky").get_attribute("value") == "tháng 4 năm 2023", what="the saved spec")
    assert field(browser, "/nguoi_ky/ho_ten").get_attribute("value") == "Lường Tuấn Anh"
    assert browser.execute_script("return [...state.files.keys()].sort()") == ["diem_xa.csv", "du_lieu.yaml"]
    assert preview_of_last_change(browser) == 3
    wait_for(lambda: browser.find_element("id", "trang-thai-kiem-tra").text == "Đặc tả hợp lệ", what="the check")
