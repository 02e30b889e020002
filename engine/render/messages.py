"""Say Jinja's own error messages in Vietnamese, for template authors and spec writers alike.

Jinja's parser and lexer speak English ("unexpected '}'", "expected token 'end of print statement',
got 'x'"); every message that reaches a user goes through :func:`jinja_message` (templates: render
and lint; spec text: expressions). A message not in the list is shown as "thẻ Jinja sai (…)" with the
original inside, so nothing is lost.
"""

from __future__ import annotations

import re
from typing import Any

# ----- Jinja's messages in Vietnamese -------------------------------------------------------------

_TOKENS = {
    "end of print statement": "'}}' (hết thẻ in)", "end of statement block": "'%}' (hết thẻ lệnh)",
    "end of template": "hết mẫu", "name": "một tên", "integer": "một số", "float": "một số", "string": "một chuỗi",
    "rparen": "')'", "lparen": "'('", "rbracket": "']'", "rbrace": "'}'", "comma": "','", "colon": "':'",
    "dot": "'.'", "pipe": "'|'", "assign": "'='",
}


def _token(text: str) -> str:
    return _TOKENS.get(text.strip("'"), f"'{text.strip(chr(39))}'")


def _looking_for(text: str) -> str:
    wanted = ""
    for marker in ("looking for the following tags:", "currently looking for"):
        if marker in text:
            wanted = text.split(marker, 1)[1].split("The innermost", 1)[0]
            break
    tags = re.findall(r"'(\w+)'", wanted)
    innermost = re.search(r"innermost block that needs to be closed is '(\w+)'", text)
    said = f"; cần đóng bằng {', '.join('{% ' + tag + ' %}' for tag in tags)}" if tags else ""
    if innermost:
        said += f" (khối '{innermost[1]}' trong cùng chưa đóng)"
    return said


_MESSAGES: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(r"^Unexpected end of template\.(.*)$", re.S),
     lambda m: "mẫu hết mà còn khối chưa đóng" + _looking_for(m[1])),
    (re.compile(r"^Encountered unknown tag '(\w+)'\. You probably made a nesting mistake\.(.*)$", re.S),
     lambda m: f"thẻ '{m[1]}' nằm sai chỗ (các khối lồng nhau sai)" + _looking_for(m[2])),
    (re.compile(r"^Encountered unknown tag '(\w+)'\.(.*)$", re.S),
     lambda m: f"thẻ lệnh '{m[1]}' không có" + (_looking_for(m[2]) if "looking for" in m[2] else "")),
    (re.compile(r"^expected token '([^']+)', got '([^']*)'$"),
     lambda m: f"cần {_token(m[1])} nhưng gặp {_token(m[2])}"),
    (re.compile(r"^unexpected end of template, expected '([^']+)'\.?$"),
     lambda m: f"mẫu hết mà còn thiếu {_token(m[1])}"),
    (re.compile(r"^unexpected '(.+)', expected '(.+)'$"),
     lambda m: f"gặp '{m[1]}' trong khi cần '{m[2]}' (ngoặc không khớp)"),
    (re.compile(r"^unexpected '(.+)'$"), lambda m: f"gặp '{m[1]}' không đúng chỗ"),
    (re.compile(r"^expected call$"), lambda m: "cần một lời gọi macro sau 'call'"),
    (re.compile(r"^expected name or number$"), lambda m: "sau dấu chấm cần tên trường hoặc số"),
    (re.compile(r"^expected subscript expression$"), lambda m: "trong ngoặc vuông cần một chỉ số hoặc khóa"),
    (re.compile(r"^invalid syntax for function call expression$"), lambda m: "lời gọi hàm viết sai"),
    (re.compile(r"^You cannot chain multiple tests with is$"), lambda m: "không nối nhiều phép thử 'is' liền nhau"),
    (re.compile(r"^non-default argument follows default argument$"),
     lambda m: "tham số không có giá trị mặc định đứng sau tham số có giá trị mặc định"),
    (re.compile(r"^block '(.+)' defined twice$"), lambda m: f"khối '{m[1]}' được khai hai lần"),
    (re.compile(r"^cannot use extend from a non top-level scope$"), lambda m: "không dùng 'extends' bên trong khối"),
    (re.compile(r"^Required blocks can only contain comments or whitespace$"),
     lambda m: "khối 'required' chỉ được chứa chú thích hoặc khoảng trắng"),
    (re.compile(r"^unexpected char '(.+)' at (\d+)$"), lambda m: f"ký tự '{m[1]}' không đúng chỗ"),
    (re.compile(r"^unexpected (.+)$"), lambda m: f"gặp {_token(m[1])} không đúng chỗ"),
    (re.compile(r"^No filter named '([^']+)'\.?$"), lambda m: f"không có bộ lọc '{m[1]}'"),
    (re.compile(r"^No test named '([^']+)'\.?$"), lambda m: f"không có phép thử '{m[1]}'"),
    (re.compile(r"^tag name expected$"), lambda m: "thiếu tên thẻ lệnh sau '{%'"),
    (re.compile(r"^missing end of comment tag$"), lambda m: "chú thích {# … mở mà không đóng #}"),
    (re.compile(r"^expected an expression, got '([^']+)'$"), lambda m: f"cần một biểu thức nhưng gặp {_token(m[1])}"),
    (re.compile(r"^can't assign to '(\w+)'$"), lambda m: f"không gán được cho '{m[1]}'"),
]


def jinja_message(message: str | None) -> str:
    """A Jinja error message in Vietnamese ("unexpected '}'" → "gặp '}' không đúng chỗ").

    >>> jinja_message("expected token 'end of print statement', got 'x'")
    "cần '}}' (hết thẻ in) nhưng gặp 'x'"
    """
    text = (message or "").strip()
    for pattern, say in _MESSAGES:
        match = re.match(pattern.pattern, text, pattern.flags | re.IGNORECASE)  # Jinja capitalises some
        if match:
            return say(match)
    return f"thẻ Jinja sai ({text})" if text else "thẻ Jinja sai"
