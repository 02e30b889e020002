"""Take the screenshots of the web page shown in docs/web.md and the README, with the browser tests' helper.

    .venv/bin/python -m tests.web.screenshots [--out docs/images]

A clerk's month as the tests do it: last month's Tủa Chùa report (rendered from fixtures/tua_chua_2023_04)
opened with the new period, the export uploaded and mapped; one screen each for the document with its
pages, the export's reading and mapping, and a field error. 1366×768, as an office screen.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from engine import pipeline
from tests.conftest import FIXTURES
from tests.web.browser import ROOT, chromium, served
from tests.web.test_page import EXPORT, field, open_page, preview_of_last_change, show_tab, type_into, wait_for


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder, served(workers=2, pdf_converters=1) as server, \
            chromium() as driver:
        last_month = Path(folder) / "bao_cao_thang_4.docx"
        last_month.write_bytes(pipeline.render(FIXTURES / "tua_chua_2023_04" / "spec.yaml"))
        open_page(driver, server)
        driver.find_element("id", "ky-moi").send_keys("tháng 5 năm 2023")
        driver.find_element("id", "tu-van-ban").send_keys(str(last_month))
        wait_for(lambda: field(driver, "/ky").get_attribute("value") == "tháng 5 năm 2023", what="the spec")
        show_tab(driver, "the-so-lieu")
        driver.find_element("id", "tai-bang").send_keys(str(EXPORT))
        wait_for(lambda: driver.find_element("css selector", "#trang-tinh option[value='Tháng 4']"), what="sheets")
        driver.find_element("css selector", "#trang-tinh option[value='Tháng 4']").click()
        wait_for(lambda: "12 đơn vị" in driver.find_element("id", "cach-doc").text, what="the reading")
        preview_of_last_change(driver)
        wait_for(lambda: driver.find_elements("css selector", "#cach-doc .phat-hien-dong"), what="the finding")
        driver.execute_script("document.querySelector('#cach-doc .phat-hien-dong').scrollIntoView({block: 'end'})")
        time.sleep(0.3)
        driver.save_screenshot(str(out / "web_so_lieu.png"))
        driver.execute_script("document.getElementById('khung-so-lieu').scrollTop = 0")
        driver.save_screenshot(str(out / "web_ghep_cot.png"))

        show_tab(driver, "the-noi-dung")
        driver.execute_script("document.getElementById('khung-noi-dung').scrollTop = 0")
        time.sleep(0.3)
        driver.save_screenshot(str(out / "web_van_ban.png"))

        type_into(driver, "/dia_danh", "")
        place = '[data-pointer="/dia_danh"]'
        wait_for(lambda: "không được để trống" in driver.find_element("css selector", place).text, what="the error")
        wait_for(lambda: "Chưa dựng được" in driver.find_element("id", "so-trang").text, what="the preview's state")
        driver.save_screenshot(str(out / "web_loi.png"))
    for name in ("web_van_ban.png", "web_ghep_cot.png", "web_so_lieu.png", "web_loi.png"):
        print(out / name)


if __name__ == "__main__":
    main()
