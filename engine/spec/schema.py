"""Turn the spec models into a JSON Schema (draft 2020-12) that editors use for completion and checking.

The structure comes from the pydantic models (engine.spec.models), so it cannot drift from what the
loader accepts; this module adds what the models cannot say themselves: a Vietnamese description and
an example for every field (:data:`FIELD_DOCS`; a test fails when a field has none), the kinds of
``templates/kinds.yaml`` as the values of ``loai``, and the shorter forms the loader also accepts (one
string where a list is expected, a date as text, a name on several lines as a list).

VS Code: with the YAML extension, ``"yaml.schemas": {"vanban.schema.json": "*.yaml"}`` in settings, or
a first line ``# yaml-language-server: $schema=vanban.schema.json`` in a spec (docs/spec.md).
"""

from __future__ import annotations

import copy
from typing import Any

from engine.spec import models

DIALECT = "https://json-schema.org/draft/2020-12/schema"

# model name → field → (description, example). Every field of every model has an entry (tested).
FIELD_DOCS: dict[str, dict[str, tuple[str, Any]]] = {
    "Spec": {
        "loai": ("Loại văn bản: một khóa của templates/kinds.yaml.", "bao_cao"),
        "mau": ("Mẫu .docx riêng thay mẫu của loại văn bản (đường dẫn tính từ tệp đặc tả; với máy chủ HTTP: "
                "tên một mẫu có sẵn).", "mau_rieng/bao_cao_tinh.docx"),
        "co_quan_chu_quan": ("Tên cơ quan chủ quản trực tiếp, in hoa không đậm; bỏ trống nếu không có.",
                             "ỦY BAN NHÂN DÂN TỈNH ĐIỆN BIÊN"),
        "co_quan_ban_hanh": ("Cơ quan ban hành: tên in hoa đậm và chữ viết tắt.",
                             {"ten": ["ỦY BAN NHÂN DÂN", "XÃ TỦA CHÙA"], "viet_tat": "UBND"}),
        "so": ("Số văn bản (≥ 1); bỏ trống trong dự thảo, văn thư điền khi ban hành.", 15),
        "ky_hieu": ("Ký hiệu ghi thẳng; mặc định lập từ loại và cơ quan (BC-UBND, UBND-VP).", "BC-UBND"),
        "don_vi_soan_thao": ("Chữ viết tắt đơn vị soạn thảo (công văn: UBND-VP).", "VP"),
        "dia_danh": ("Địa danh in trước ngày tháng.", "Tủa Chùa"),
        "ngay": ("Ngày ban hành; ngày, hoặc ngày và tháng, để trống được trong dự thảo.",
                 {"nam": 2026, "thang": 3, "ngay": 5}),
        "ky": ("Kỳ báo cáo, ghi một lần: văn bản đọc {{ ky }} ('tháng 02 năm 2026'), {{ ky.ngan }} ('tháng 02/2026'), "
               "{{ ky.ten }}, {{ ky.truoc }}, {{ ky.sau }}, {{ ky.cung_ky }}, {{ ky.khoang }}.", "tháng 02 năm 2026"),
        "trich_yeu": ("Trích yếu nội dung (công văn: in thành 'V/v …').",
                      "Kết quả giải quyết thủ tục hành chính tháng 02/2026"),
        "kinh_gui": ("Nơi được kính gửi: một nơi hoặc danh sách.", ["Ủy ban nhân dân tỉnh"]),
        "can_cu": ("Các căn cứ ban hành, in nghiêng; dấu ';' và '.' cuối dòng do chương trình thêm.",
                   ["Căn cứ Quyết định số 766/QĐ-TTg ngày 23/6/2022 của Thủ tướng Chính phủ"]),
        "du_lieu": ("Dữ liệu cho biểu thức: tên → tệp .yaml/.json hoặc giá trị ghi thẳng.",
                    {"so_lieu": "so_lieu.yaml", "xa": {"ten": "Tủa Chùa", "so_thon": 12}}),
        "cham_diem": ("Số liệu chấm điểm: tên → bộ tiêu chí và bảng điểm; mọi số tính sẵn.",
                      {"kq": {"bo_tieu_chi": "qd766", "du_lieu": "diem_xa.csv"}}),
        "so_lieu_ghi": ("Các số nguồn ghi sẵn để kiểm tra (audit) với số tính được.",
                        [{"noi_dung": "Tỷ lệ đúng hạn", "ghi": "98,5%", "tinh": "kq.ty_le_dung_han", "ty_le": True}]),
        "noi_dung": ("Các khối của thân văn bản: doan, gach, cong, muc, khoan, tieu_khoan, diem.",
                     [{"muc": "KẾT QUẢ"}, {"doan": "Trong tháng, xã tiếp nhận {{ so_lieu.tiep_nhan }} hồ sơ."}]),
        "noi_nhan": ("Nơi nhận (có thể chia nhóm có dòng tiêu đề) và đơn vị lưu (VT luôn đứng đầu, chương trình tự "
                     "thêm).", {"cac_noi": ["Như trên", "UBND tỉnh"], "luu": "VP"}),
        "nguoi_ky": ("Người ký: quyền hạn, tập thể hoặc người đứng đầu, chức vụ, họ tên, ảnh chữ ký và dấu; nhiều "
                     "người ký (văn bản liên tịch): một danh sách, người đầu tiên ký cho cơ quan ban hành, các người "
                     "sau ghi 'co_quan' của mình.",
                     {"quyen_han": "TM.", "thay": "Ủy ban nhân dân", "chuc_vu": "Chủ tịch", "ho_ten": "Nguyễn Văn An"}),
        "phu_luc": ("Các phụ lục, mỗi phụ lục một bảng, nối sau văn bản.",
                    [{"mau": "bang_chi_so", "nguon": "kq", "tieu_de": "Kết quả đánh giá tháng 02/2026"}]),
    },
    "CoQuan": {
        "ten": ("Tên in hoa đậm; danh sách = nhiều dòng.", ["ỦY BAN NHÂN DÂN", "XÃ TỦA CHÙA"]),
        "viet_tat": ("Chữ viết tắt của cơ quan, dùng trong ký hiệu.", "UBND"),
        "ten_goi": ("Tên trong câu văn, dùng ở dòng 'Kèm theo' của phụ lục.", "UBND xã Tủa Chùa"),
    },
    "Ngay": {
        "nam": ("Năm.", 2026),
        "thang": ("Tháng (1–12); bỏ trống trong dự thảo.", 3),
        "ngay": ("Ngày; bỏ trống trong dự thảo. Ngày không có thật là lỗi.", 5),
    },
    "Ky": {
        "ten": ("Kỳ viết như văn bản: tháng, quý, 6 tháng đầu/cuối năm, 9 tháng, năm.", "quý 1 năm 2023"),
        "thang": ("Tháng của kỳ (1–12), cùng 'nam'.", 4),
        "quy": ("Quý của kỳ (1–4), cùng 'nam'.", 2),
        "nam": ("Năm của kỳ.", 2023),
        "tu": ("Ngày bắt đầu khi kỳ có khoảng ngày riêng (cùng 'den').", "15/12/2022"),
        "den": ("Ngày kết thúc (hết ngày này) khi kỳ có khoảng ngày riêng.", "14/03/2023"),
    },
    "NguoiKy": {
        "co_quan": ("Văn bản liên tịch: cơ quan phối hợp mà người này ký cho (tên, viet_tat); in ở đầu văn bản sau "
                    "cơ quan ban hành và vào ký hiệu. Người ký đầu tiên ký cho cơ quan ban hành: không ghi.",
                    {"ten": ["ỦY BAN MẶT TRẬN TỔ QUỐC", "VIỆT NAM XÃ LỤC BÌNH"], "viet_tat": "MTTQ"}),
        "quyen_han": ("TM., KT., TL., TUQ. hoặc Q.; bỏ trống khi người đứng đầu ký.", "KT."),
        "thay": ("Tập thể (TM. ỦY BAN NHÂN DÂN) hoặc chức vụ người đứng đầu (KT. CHỦ TỊCH).", "Chủ tịch"),
        "chuc_vu": ("Chức vụ người ký.", "Phó Chủ tịch"),
        "ho_ten": ("Họ và tên, không học hàm học vị.", "Lò Văn Cường"),
        "chu_ky": ("Ảnh chữ ký PNG (nền trong suốt) hoặc JPEG, đặt giữa chức vụ và họ tên; đường dẫn tính từ tệp "
                   "đặc tả, hoặc {tep, rong} (rộng mặc định 40 mm).", "chu_ky.png"),
        "dau": ("Ảnh dấu PNG màu đỏ nền trong suốt, trùm lên 1/3 ảnh chữ ký bên trái (cần chu_ky); {tep, rong}: "
                "rong là đường kính thật của dấu (mặc định 36 mm).", {"tep": "dau.png", "rong": 36}),
    },
    "AnhKy": {
        "tep": ("Tệp ảnh (PNG, JPEG), đường dẫn tính từ tệp đặc tả.", "dau.png"),
        "rong": ("Độ rộng khi in, mm (5–100); chiều cao theo tỷ lệ ảnh.", 36),
    },
    "NoiNhan": {
        "cac_noi": ("Các nơi nhận, mỗi nơi một dòng '- …;'; một nhóm có dòng tiêu đề ghi '- Gửi bản điện tử:' rồi các "
                    "nơi của nhóm thụt vào dưới nó (hoặc {tieu_de, cac_noi}).",
                    ["Như trên", {"Gửi bản điện tử": ["Văn phòng UBND huyện", "Trang TTĐT xã"]}]),
        "luu": ("Đơn vị lưu sau VT: một đơn vị hoặc danh sách.", ["VP", "KSTT"]),
    },
    "NhomNoiNhan": {
        "tieu_de": ("Dòng tiêu đề của nhóm, in không gạch đầu dòng, kết thúc ':' (chương trình thêm).",
                    "Gửi bản điện tử"),
        "cac_noi": ("Các nơi nhận của nhóm, mỗi nơi một dòng '- …;'.", ["Văn phòng HĐND - UBND huyện"]),
    },
    "Doan": {"doan": ("Một đoạn văn (có thể có biểu thức {{ … }}).", "Ủy ban nhân dân xã báo cáo như sau:")},
    "Gach": {"gach": ("Một hoặc nhiều đoạn '- …'.", ["Tiếp nhận 120 hồ sơ", "Giải quyết 118 hồ sơ"])},
    "Cong": {"cong": ("Một hoặc nhiều đoạn '+ …'.", ["Đúng hạn: 117 hồ sơ"])},
    "Bang": {"bang": ("Một bảng trong thân văn bản: các cột, các dòng, dòng tổng.",
                      {"cot": [{"tieu_de": "Đơn vị", "gia_tri": "{{ dong.ten }}", "rong": 6, "can": "trai"}],
                       "dong": "{{ kq.xep_hang }}"})},
    "BangNoiDung": {
        "tieu_de": ("Tên bảng, in đậm, căn giữa phía trên bảng.", "Bảng 1. Kết quả giải quyết hồ sơ"),
        "cot": ("Các cột, trái sang phải.", [{"tieu_de": "STT", "gia_tri": "{{ stt }}", "rong": 1.2}]),
        "dong": ("Biểu thức cho ra danh sách dòng (mỗi dòng là 'dong' trong biểu thức của cột, 'stt' là số thứ tự), "
                 "hoặc các dòng ghi ngay: danh sách ô theo thứ tự cột, hoặc bảng theo 'ma' của cột.",
                 [{"viec": "Tiếp nhận", "so": 120}, ["Trả kết quả", 118]]),
        "dong_tong": ("Nhãn dòng tổng ở cuối bảng; các cột 'tong: true' được chương trình cộng từ các dòng.",
                      "Tổng cộng"),
        "lap_tieu_de": ("Lặp hàng tiêu đề ở đầu mỗi trang khi bảng sang trang (mặc định có).", True),
        "co_chu": ("Cỡ chữ trong bảng, 10–14 (mặc định 13).", 13),
    },
    "CotNoiDung": {
        "tieu_de": ("Tiêu đề cột (in đậm).", "Số hồ sơ"),
        "nhom": ("Tiêu đề tầng trên, gộp ô trên các cột liền nhau cùng nhóm (tiêu đề hai tầng).", "Kết quả"),
        "ma": ("Khóa của cột trong các dòng ghi ngay dạng bảng.", "so"),
        "gia_tri": ("Biểu thức giá trị mỗi dòng (theo 'dong', 'stt'); một biểu thức đứng riêng cho giá trị số.",
                    "{{ dong.quy_doi }}"),
        "rong": ("Độ rộng cột, cm (cả bảng không quá 16,5 cm).", 3),
        "can": ("Căn lề: trai, giua (mặc định) hoặc phai.", "phai"),
        "so_le": ("Số chữ số thập phân của mọi số trong cột (không ghi: số giữ số lẻ của nó).", 2),
        "tong": ("Cộng cột này ở dòng tổng ('dong_tong').", True),
    },
    "Anh": {"anh": ("Một ảnh trong thân văn bản.", {"tep": "so_do.png", "rong": 12,
                                                    "chu_thich": "Hình 1. Sơ đồ quy trình"})},
    "AnhNoiDung": {
        "tep": ("Tệp ảnh PNG hoặc JPEG, đường dẫn tính từ tệp đặc tả (trong thư mục được đọc).", "so_do.png"),
        "rong": ("Độ rộng in ra, cm (tối đa 16,5); chiều cao theo tỷ lệ ảnh.", 12),
        "chu_thich": ("Dòng chú thích in nghiêng, căn giữa dưới ảnh.", "Hình 1. Sơ đồ quy trình một cửa"),
    },
    "BieuDo": {"bieu_do": ("Một biểu đồ điểm trong thân văn bản (vẽ bằng matplotlib, nhúng thành ảnh).",
                           {"kieu": "cot", "nguon": "kq", "chu_thich": "Biểu đồ 1. Điểm quy đổi các xã"})},
    "BieuDoNoiDung": {
        "kieu": ("cot: biểu đồ cột (mặc định); duong: biểu đồ đường.", "cot"),
        "nguon": ("Tên một mục 'cham_diem': điểm quy đổi từng đơn vị theo hạng, hoặc điểm từng tiêu chí.", "kq"),
        "dong": ("Biểu thức cho ra danh sách điểm cần vẽ (thay cho 'nguon').", "{{ kq.xep_hang }}"),
        "nhan": ("Biểu thức nhãn mỗi điểm (theo 'dong').", "{{ dong.ten }}"),
        "gia_tri": ("Biểu thức giá trị mỗi điểm (theo 'dong'), một số.", "{{ dong.quy_doi }}"),
        "chu_thich": ("Dòng chú thích in nghiêng, căn giữa dưới biểu đồ.", "Biểu đồ 1. Điểm quy đổi các xã"),
        "truc_x": ("Nhãn trục ngang.", "Đơn vị"),
        "truc_y": ("Nhãn trục đứng (theo 'nguon' mặc định 'Điểm quy đổi' hoặc 'Điểm').", "Điểm"),
        "so_le": ("Số chữ số thập phân của nhãn giá trị (không ghi: như số liệu).", 2),
        "rong": ("Độ rộng in ra, cm (tối đa 16,5).", 16),
        "cao": ("Chiều cao in ra, cm.", 9),
    },
    "ChuThich": {"chu_thich": ("Các chú thích cuối trang: tên → nội dung; chữ dẫn tới bằng [^tên].",
                               {"vpcp": "Công văn số 4975/VPCP-KSTT ngày 12/7/2023 của Văn phòng Chính phủ."})},
    "TieuDe": {
        "muc": ("Mục 'I. …' (La Mã; Nghị định 30 viết tên mục in hoa).", "KẾT QUẢ THỰC HIỆN"),
        "khoan": ("Khoản '1. …'.", "Công tác tiếp nhận hồ sơ"),
        "tieu_khoan": ("Tiểu khoản '1.1. …'.", "Hồ sơ trực tuyến"),
        "diem": ("Điểm 'a) …'.", "Hồ sơ đúng hạn"),
        "so": ("Số đề mục viết tay thay số tự động.", "2a"),
        "doan": ("Đoạn văn viết tiếp trên cùng dòng đề mục.", "đạt 98,5%."),
        "noi_dung": ("Các khối con của đề mục.", [{"doan": "…"}]),
    },
    "ChamDiem": {
        "bo_tieu_chi": ("Bộ tiêu chí: tên bộ có sẵn hoặc tệp .yaml của tỉnh.", "qd766"),
        "du_lieu": ("Bảng điểm (.yaml/.csv/.xlsx) hoặc bảng ghi ngay trong đặc tả.", "diem_xa.csv"),
        "khoa": ("Đường dẫn chấm trong tệp dữ liệu.", "huyen.cham_diem"),
        "trang_tinh": ("Tên trang tính (Excel).", "Tháng 02"),
        "cot": ("Trường → cột của tệp: tên cột, đường dẫn tiêu đề nhiều tầng nối bằng ' / ' (hoặc phần cuối đủ "
                "phân biệt của nó), hoặc nhãn số cột như '(5)'; xem bằng lệnh vanban data.",
                {"don_vi": "Tên cơ quan, đơn vị", "cong_khai_1": "Nhóm công khai, minh bạch / Chỉ số 1",
                 "tien_do": "(6)"}),
        "them": ("Cột số in thêm trong bảng: tên → cột (ghi cột như trong 'cot').", {"tien_do": "Tiến độ"}),
        "muc_chi_tiet": ("Mức chi tiết của bảng điểm: chi_so, nhom hoặc tong.", "chi_so"),
        "xep_loai": ("Ngưỡng xếp loại thay ngưỡng của bộ tiêu chí.", [{"tu": 90, "loai": "Xuất sắc"}]),
        "xep_hang_theo": ("Xếp hạng theo quy_doi, dat_duoc hoặc mã một nhóm.", "quy_doi"),
        "don_vi": ("Tên gọi đơn vị được chấm (xã, phường …).", "xã"),
        "so_thap_phan": ("Số chữ số thập phân, thay số của bộ tiêu chí: du_lieu (điểm bảng điểm ghi; không ghi thì "
                         "mỗi số in như bảng ghi), diem, quy_doi, ty_le (số chương trình tính).",
                         {"du_lieu": 1, "quy_doi": 2}),
    },
    "SoThapPhan": {
        "du_lieu": ("Số chữ số thập phân của các điểm bảng điểm ghi (chỉ số, nhóm, tổng khi chỉ có tổng, kỳ trước, "
                    "cột thêm); không ghi thì mỗi số in như bảng ghi ('4,0' vẫn là 4,0).", 1),
        "diem": ("Số chữ số thập phân của điểm chương trình cộng (điểm đạt được, điểm tiêu chí, tổng điểm).", 1),
        "quy_doi": ("Số chữ số thập phân của điểm quy đổi và mức tăng, giảm.", 2),
        "ty_le": ("Số chữ số thập phân của tỷ lệ phần trăm.", 2),
    },
    "SoLieuGhi": {
        "noi_dung": ("Số này là gì.", "Tỷ lệ hồ sơ đúng hạn"),
        "ghi": ("Số như nguồn ghi (số hoặc chữ, cách viết Việt Nam).", "98,5"),
        "tinh": ("Biểu thức tính số đúng từ dữ liệu.", "kq.ty_le_dung_han"),
        "ty_le": ("Số là tỷ lệ phần trăm.", True),
        "nguon": ("Số lấy từ đâu.", "Báo cáo tháng 02 của xã"),
        "so_thap_phan": ("Số chữ số thập phân để so khi 'tinh' ra một số không có độ chính xác riêng (một phép "
                         "chia); số do bộ tiêu chí tính giữ số chữ số của nó.", 2),
    },
    "DongDau": {
        "nhan": ("Nhãn của dòng trên bảng.", "Kỳ đánh giá:"),
        "gia_tri": ("Giá trị in đậm sau nhãn.", "Tháng 02/2026"),
    },
    "CotBang": {
        "tieu_de": ("Tiêu đề cột.", "Tên xã"),
        "gia_tri": ("Biểu thức giá trị của cột theo 'dong'.", "dong.ten"),
        "rong": ("Độ rộng cột (cm).", 4.5),
        "can": ("Căn lề: trai, giua hoặc phai.", "trai"),
        "so_thap_phan": ("Mọi số của cột in đúng chừng này chữ số thập phân (giá trị phải là một số); không ghi "
                         "thì số in như nguồn ghi.", 2),
    },
    "PhuLuc": {
        "mau": ("Loại bảng: bang_chi_so, bang_tieu_chi, bang_xep_hang hoặc bang.", "bang_xep_hang"),
        "tep_mau": ("Mẫu .docx riêng cho phụ lục này.", "mau_rieng/phu_luc.docx"),
        "nguon": ("Tên mục cham_diem làm nguồn số liệu.", "kq"),
        "tieu_de": ("Tiêu đề phụ lục (một dòng hoặc danh sách dòng).", "Kết quả xếp hạng các xã tháng 02/2026"),
        "kem_theo": ("In dòng '(Kèm theo … số … ngày … của …)'.", True),
        "dau": ("Các dòng nhãn: giá trị trên bảng.", [{"nhan": "Kỳ đánh giá:", "gia_tri": "Tháng 02/2026"}]),
        "sau": ("Các ghi chú dưới bảng.", ["Nguồn: Cổng Dịch vụ công quốc gia."]),
        "ngang": ("In trên trang ngang (bảng 'bang').", True),
        "thu_tu": ("Thứ tự dòng: xep_hang hoặc nhap (như dữ liệu).", "xep_hang"),
        "nhom_dong": ("Dòng nhóm 'I' đầu bảng chỉ số, trên mọi đơn vị; không ghi thì in các dòng nhóm của bảng "
                      "điểm (nếu có).", "UBND CÁC XÃ, THỊ TRẤN"),
        "ghi_chu": ("Số tiêu chí → ghi chú in trong bảng tiêu chí.", {3: "Không phát sinh hồ sơ"}),
        "cot": ("Các cột của bảng tự khai.", [{"tieu_de": "Tên xã", "gia_tri": "dong.ten"}]),
        "dong": ("Biểu thức danh sách các dòng của bảng tự khai.", "so_lieu.cac_xa"),
        "cot_ten": ("Tiêu đề cột tên (bảng xếp hạng).", "Tên đơn vị"),
        "cot_diem": ("Tiêu đề cột điểm (bảng xếp hạng).", "Điểm"),
        "cot_tang_giam": ("Tiêu đề cột tăng/giảm so với kỳ trước.", "Tăng/giảm"),
        "cot_them": ("Các cột in thêm: tên → tiêu đề.", {"tien_do": "Tiến độ (%)"}),
    },
}

MODEL_DOCS = {
    "CoQuan": "Cơ quan ban hành: tên in trên văn bản và chữ viết tắt.",
    "Ngay": "Ngày ban hành; ngày, hoặc ngày và tháng, để trống được trong dự thảo.",
    "Ky": ("Kỳ báo cáo: một tháng, quý, 6 tháng đầu/cuối năm, 9 tháng, một năm hoặc một khoảng ngày; "
           "có thể kèm khoảng ngày riêng (tu, den)."),
    "NguoiKy": "Người ký: quyền hạn (TM., KT., TL., TUQ., Q. hoặc không), chức vụ, họ tên, chữ ký.",
    "NoiNhan": "Nơi nhận (có thể chia nhóm có dòng tiêu đề), rồi dòng 'Lưu: VT, …'.",
    "NhomNoiNhan": "Một nhóm nơi nhận: dòng tiêu đề ('Gửi bản điện tử:') và các nơi dưới nó.",
    "AnhKy": "Một ảnh của khối chữ ký (chữ ký, dấu): tệp và độ rộng khi in.",
    "Doan": "Một đoạn văn của thân văn bản.",
    "Gach": "Một hoặc nhiều đoạn gạch đầu dòng '- …'.",
    "Cong": "Một hoặc nhiều đoạn '+ …'.",
    "Bang": "Một bảng trong thân văn bản.",
    "BangNoiDung": "Bảng trong thân văn bản: các cột khai trong đặc tả, dòng ghi ngay hoặc từ dữ liệu, dòng tổng.",
    "CotNoiDung": "Một cột của bảng trong thân văn bản: tiêu đề (một hoặc hai tầng), giá trị, độ rộng, căn lề, số lẻ.",
    "Anh": "Một ảnh trong thân văn bản.",
    "AnhNoiDung": "Ảnh PNG hoặc JPEG: tệp, độ rộng in ra, chú thích.",
    "BieuDo": "Một biểu đồ trong thân văn bản.",
    "BieuDoNoiDung": "Biểu đồ cột hoặc đường của số liệu chấm điểm, cùng số với thân văn bản.",
    "ChuThich": "Chú thích cuối trang (footnote) của Word, đánh số tự động theo thứ tự dẫn.",
    "TieuDe": "Một đề mục có số (mục, khoản, tiểu khoản hoặc điểm: đúng một) và các khối con.",
    "ChamDiem": "Một mục chấm điểm: bộ tiêu chí và bảng điểm; mọi số tính sẵn cho thân văn bản và phụ lục.",
    "SoThapPhan": "Số chữ số thập phân của các số một mục chấm điểm in ra, thay số của bộ tiêu chí.",
    "SoLieuGhi": "Một số nguồn ghi sẵn và biểu thức tính số đúng, để kiểm tra (audit).",
    "DongDau": "Một dòng nhãn: giá trị in đậm trên bảng phụ lục.",
    "CotBang": "Một cột của bảng tự khai: tiêu đề, giá trị theo dòng, độ rộng, căn lề.",
    "PhuLuc": "Một phụ lục: loại bảng, nguồn số liệu, tiêu đề và cách trình bày.",
}

# Shorter forms the loader accepts besides the model's own type (its "before" validators).
_ALSO = {
    ("Spec", "kinh_gui"): {"type": "string"},
    ("Spec", "co_quan_chu_quan"): {"type": "array", "items": {"type": "string"}},
    ("Spec", "ngay"): {"anyOf": [{"type": "integer"}, {"type": "string",
                                                       "pattern": r"^(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{4})$"}]},
    ("Spec", "ky"): {"anyOf": [{"type": "string"}, {"type": "integer"}]},
    ("Ky", "tu"): {"type": "string"},
    ("Ky", "den"): {"type": "string"},
    ("CoQuan", "ten"): {"type": "array", "items": {"type": "string"}, "minItems": 1},
    ("NoiNhan", "luu"): {"type": "string"},
    ("Gach", "gach"): {"type": "string"},
    ("Cong", "cong"): {"type": "string"},
    ("PhuLuc", "tieu_de"): {"type": "string"},
    ("NguoiKy", "quyen_han"): {"type": "string", "pattern": r"^(?i:tm|kt|tl|tuq|q)\.?$|^$"},
    ("NguoiKy", "co_quan"): {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
    ("NguoiKy", "chu_ky"): {"type": "string"},
    ("NguoiKy", "dau"): {"type": "string"},
    # "- Gửi bản điện tử:" with its items under it, as YAML reads it: a mapping of the heading to the items.
    ("NoiNhan", "cac_noi"): {"type": "array", "items": {"anyOf": [
        {"type": "string"}, {"$ref": "#/$defs/NhomNoiNhan"},
        {"type": "object", "minProperties": 1, "maxProperties": 1,
         "additionalProperties": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}}]}},
}


def spec_schema() -> dict[str, Any]:
    """The JSON Schema of a spec file (draft 2020-12), with Vietnamese descriptions and examples."""
    from engine.kinds import KINDS

    schema = copy.deepcopy(models.Spec.model_json_schema(mode="validation"))
    definitions = schema.get("$defs", {})
    for name, model in [("Spec", schema), *definitions.items()]:
        docs = FIELD_DOCS[name]
        for field, prop in model.get("properties", {}).items():
            description, example = docs[field]
            prop.pop("title", None)
            if (name, field) in _ALSO:
                original = {key: prop.pop(key) for key in list(prop) if key not in ("default",)}
                prop["anyOf"] = [original, _ALSO[(name, field)]]
            prop["description"] = description
            prop["examples"] = [example]
        model.pop("title", None)
        if model is not schema:
            model["description"] = MODEL_DOCS[name]
    # One signer (a mapping) or several (a list): if/then/else, so that an editor marks the wrong field of a
    # signer itself rather than "not valid under any of the given schemas" on the whole block.
    signers = schema["properties"]["nguoi_ky"]
    signers.pop("oneOf", None)
    signers.update({"if": {"type": "array"},
                    "then": {"type": "array", "items": {"$ref": "#/$defs/NguoiKy"}, "minItems": 1,
                             "maxItems": models.MAX_SIGNERS},
                    "else": {"$ref": "#/$defs/NguoiKy"}})
    # One heading level exactly (the model checks it after reading; the schema says it up front).
    definitions["TieuDe"]["oneOf"] = [{"required": [level]} for level in models.HEADING_LEVELS]
    schema["properties"]["loai"]["enum"] = sorted(KINDS)
    schema["$schema"] = DIALECT
    schema["$id"] = "https://vanban.invalid/schema/dac_ta.json"
    schema["title"] = "Đặc tả văn bản hành chính (vanban)"
    schema["description"] = ("Tệp đặc tả YAML của một văn bản theo Nghị định 30/2020/NĐ-CP: loại, cơ quan, số, "
                             "ngày, trích yếu, nội dung, nơi nhận, người ký, số liệu chấm điểm và phụ lục.")
    return schema


def undocumented_fields() -> list[str]:
    """Fields of the models with no entry in FIELD_DOCS (for the test that keeps the two together)."""
    schema = models.Spec.model_json_schema(mode="validation")
    missing = []
    for name, model in [("Spec", schema), *schema.get("$defs", {}).items()]:
        for field in model.get("properties", {}):
            if field not in FIELD_DOCS.get(name, {}):
                missing.append(f"{name}.{field}")
    return missing
