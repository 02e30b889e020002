// The clerk's page: a form generated from the spec's JSON Schema, the export read and mapped, the pages
// previewed, the documents downloaded. It calls only the service's public API (/v1/...), so whatever it
// does a program can do too; it keeps the spec and its uploaded files in memory and nothing on a server.
"use strict";

const $ = (id) => document.getElementById(id);

const state = {
  schema: null,
  spec: null,            // the spec being edited, as JSON (what the API reads)
  files: new Map(),      // name → Blob: data files uploaded with every request (the spec names them)
  kinds: [],
  frameworks: [],
  problems: [],          // the last /v1/spec answer's problems (each with a JSON pointer)
  findings: [],          // the audit's findings
  table: null,           // the last /v1/data answer (how the export was read)
  tableFile: null,
  version: 0,            // bumped on every change; a preview shows which version it is of
};

// ----- talking to the service ---------------------------------------------------------------------

const KEY_STORE = "vanban-khoa-api";

function apiKey() {
  return sessionStorage.getItem(KEY_STORE) || "";
}

async function api(method, path, body, { signal, raw } = {}) {
  const headers = {};
  const key = apiKey();
  if (key) headers["X-API-Key"] = key;
  let response;
  try {
    response = await fetch(path, { method, body, headers, signal });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw problemError([{ message: "không gọi được máy chủ (máy chủ đã dừng?)", hint: "Chạy lại: vanban serve" }]);
  }
  if (response.status === 401) $("o-khoa").hidden = false;
  if (!response.ok) {
    let problems;
    try {
      problems = (await response.json()).error.problems;
    } catch {
      problems = [{ message: `máy chủ trả lời mã ${response.status}` }];
    }
    throw problemError(problems, response.status);
  }
  return raw ? response : response.json();
}

function problemError(problems, status = 0) {
  const error = new Error(problems.map((p) => p.message).join("; "));
  error.problems = problems;
  error.status = status;
  return error;
}

// Every request about the document carries the spec (JSON text, which the engine's YAML reader reads)
// and every uploaded file under the name the spec uses.
function specForm(extra = {}) {
  const form = new FormData();
  form.append("spec", JSON.stringify(state.spec));
  for (const [name, blob] of state.files) form.append("files", blob, name);
  for (const [key, value] of Object.entries(extra)) form.append(key, value);
  return form;
}

function notify(text, isError = false) {
  const box = $("thong-bao");
  box.textContent = text || "";
  box.classList.toggle("loi", Boolean(isError));
}

function describeError(error) {
  const problems = error.problems || [{ message: String(error.message || error) }];
  return problems.map((p) => p.message + (p.hint ? ` (${p.hint})` : "")).join("; ");
}

// ----- small DOM helpers ------------------------------------------------------------------------------

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// ----- the spec as data: reading and writing at a path ------------------------------------------------

function getAt(path) {
  let value = state.spec;
  for (const part of path) {
    if (value === null || value === undefined) return undefined;
    value = value[part];
  }
  return value;
}

function setAt(path, value) {
  let node = state.spec;
  for (let i = 0; i < path.length - 1; i++) {
    const part = path[i];
    if (node[part] === null || typeof node[part] !== "object") node[part] = typeof path[i + 1] === "number" ? [] : {};
    node = node[part];
  }
  const last = path[path.length - 1];
  if (value === undefined && !Array.isArray(node)) delete node[last];
  else node[last] = value === undefined ? null : value;
}

function pointer(path) {
  return path.map((part) => "/" + String(part).replace(/~/g, "~0").replace(/\//g, "~1")).join("");
}

// ----- the schema: references, variants, defaults -------------------------------------------------------

function resolve(schema) {
  let current = schema || {};
  for (let depth = 0; current.$ref && depth < 20; depth++) {
    const name = current.$ref.split("/").pop();
    const target = (state.schema.$defs || {})[name] || {};
    const { $ref, ...outer } = current;
    current = { ...target, ...outer, $name: name, description: outer.description || target.description };
  }
  return current;
}

// The alternatives a value may take (anyOf / oneOf flattened, if/then/else as two), without null.
function variantsOf(schema) {
  const resolved = resolve(schema);
  let list;
  // An object with properties is itself the shape; its own oneOf only constrains it (a heading's one level).
  const union = (one) => (one.anyOf || one.oneOf) && !one.properties;
  if (union(resolved)) {
    list = (resolved.anyOf || resolved.oneOf).flatMap((item) => {
      const one = resolve(item);
      return union(one) ? variantsOf(one) : [one];
    });
  } else if (resolved.if && resolved.then && resolved.else) {
    list = [resolve(resolved.else), resolve(resolved.then)];
  } else {
    return [resolved];
  }
  return list.filter((item) => item.type !== "null");
}

function isPlainObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function editorKind(schema) {
  if (schema.enum) return "enum";
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  if (type === "string") return "string";
  if (type === "integer" || type === "number") return "number";
  if (type === "boolean") return "boolean";
  if (type === "array") {
    const items = resolve(schema.items || {});
    return items.type === "string" && !items.enum ? "lines" : "list";
  }
  if (schema.properties) return "object";
  if (type === "object" && (schema.additionalProperties || schema.patternProperties)) return "map";
  return "json";
}

function matches(variant, value) {
  if (value === undefined || value === null) return false;
  if (variant.enum) return variant.enum.includes(value);
  const kind = editorKind(variant);
  if (kind === "lines" || kind === "list") return Array.isArray(value);
  if (kind === "string") return typeof value === "string";
  if (kind === "number") return typeof value === "number" && (variant.type !== "integer" || Number.isInteger(value));
  if (kind === "boolean") return typeof value === "boolean";
  if (kind === "object") {
    if (!isPlainObject(value)) return false;
    if (variant.$name === "TieuDe") return HEADING_LEVELS.some(([key]) => typeof value[key] === "string");
    const keys = Object.keys(value);
    if (variant.additionalProperties === false && keys.some((key) => !(key in variant.properties))) return false;
    return (variant.required || []).every((key) => key in value) && (keys.length > 0 || !variant.required);
  }
  if (kind === "map") return isPlainObject(value);
  return true;
}

function sameShape(schema, value) {
  const kind = editorKind(schema);
  if (kind === "object" || kind === "map") return isPlainObject(value);
  if (kind === "lines" || kind === "list") return Array.isArray(value);
  if (kind === "string") return typeof value === "string";
  if (kind === "number") return typeof value === "number";
  if (kind === "boolean") return typeof value === "boolean";
  return true;
}

function chooseVariant(variants, value, outer) {
  // A variant that asks for keys the value has is a closer fit than one that asks for none (a heading
  // may hold a 'doan' too, but {doan: …} is a paragraph).
  const specific = variants.findIndex((variant) => (variant.required || []).length > 0 && matches(variant, value));
  if (specific >= 0) return specific;
  const found = variants.findIndex((variant) => matches(variant, value));
  if (found >= 0) return found;
  const example = (outer.examples || [])[0];
  const byExample = variants.findIndex((variant) => matches(variant, example));
  return byExample >= 0 ? byExample : 0;
}

function defaultFor(schema) {
  const variants = variantsOf(schema);
  const text = variants.find((v) => editorKind(v) === "string" && !v.enum);
  const chosen = variants.length > 1 && text && variants.some((v) => editorKind(v) === "lines") ? text : variants[0];
  if (chosen.$name === "TieuDe") return { khoan: "", noi_dung: [] };
  const kind = editorKind(chosen);
  if (kind === "object") {
    const value = {};
    for (const key of chosen.required || []) value[key] = defaultFor(chosen.properties[key]);
    return value;
  }
  if (kind === "lines" || kind === "list") return [];
  if (kind === "map") return {};
  if (kind === "string") return "";
  if (kind === "boolean") return Boolean(chosen.default);
  return undefined;
}

// ----- words: field labels and block names (the schema gives the descriptions) ------------------------

const LABELS = {
  loai: "Loại văn bản", mau: "Mẫu riêng (.docx)", co_quan_chu_quan: "Cơ quan chủ quản",
  co_quan_ban_hanh: "Cơ quan ban hành", ten: "Tên (mỗi dòng một dòng in)", viet_tat: "Viết tắt",
  ten_goi: "Tên trong câu văn", so: "Số", ky_hieu: "Ký hiệu", don_vi_soan_thao: "Đơn vị soạn thảo",
  dia_danh: "Địa danh", ngay: "Ngày ban hành", "Ngay.nam": "Năm", "Ngay.thang": "Tháng", "Ngay.ngay": "Ngày",
  ky: "Kỳ báo cáo", trich_yeu: "Trích yếu", kinh_gui: "Kính gửi (mỗi nơi một dòng)",
  can_cu: "Căn cứ (mỗi căn cứ một dòng)", du_lieu: "Dữ liệu", cham_diem: "Chấm điểm", so_lieu_ghi: "Số liệu ghi sẵn",
  noi_dung: "Nội dung", noi_nhan: "Nơi nhận", cac_noi: "Các nơi nhận", luu: "Lưu (sau VT)",
  nguoi_ky: "Người ký", quyen_han: "Quyền hạn", thay: "Thay mặt / ký thay", chuc_vu: "Chức vụ", ho_ten: "Họ và tên",
  chu_ky: "Ảnh chữ ký", dau: "Ảnh dấu", co_quan: "Cơ quan", phu_luc: "Phụ lục", tieu_de: "Tiêu đề",
  nguon: "Nguồn số liệu", bo_tieu_chi: "Bộ tiêu chí", trang_tinh: "Trang tính", cot: "Cột của bảng", khoa: "Khóa",
  doan: "Đoạn văn", gach: "Gạch đầu dòng (mỗi ý một dòng)", cong: "Dấu cộng (mỗi ý một dòng)", muc: "Mục",
  khoan: "Khoản", tieu_khoan: "Tiểu khoản", diem: "Điểm", tep: "Tệp", rong: "Độ rộng", chu_thich: "Chú thích",
  kem_theo: "In dòng “Kèm theo”", ghi: "Số ghi", tinh: "Biểu thức tính", ty_le: "Là tỷ lệ %", tu: "Từ ngày",
  den: "Đến ngày", "Ky.ten": "Tên kỳ", "Ky.thang": "Tháng", "Ky.quy": "Quý", "Ky.nam": "Năm",
  so_thap_phan: "Số chữ số thập phân", nhom_dong: "Nhóm dòng", dau_bang: "Dòng đầu bảng",
};

const BLOCK_NAMES = {
  TieuDe: "Đề mục", Doan: "Đoạn văn", Gach: "Gạch đầu dòng", Cong: "Dấu cộng", Bang: "Bảng", Anh: "Ảnh",
  BieuDo: "Biểu đồ", ChuThich: "Chú thích cuối trang", NhomNoiNhan: "Nhóm có dòng tiêu đề", NguoiKy: "Người ký",
};

const HEADING_LEVELS = [["muc", "Mục (I.)"], ["khoan", "Khoản (1.)"], ["tieu_khoan", "Tiểu khoản (1.1.)"],
  ["diem", "Điểm (a)"]];

function labelOf(key, parent) {
  return LABELS[`${parent}.${key}`] || LABELS[key] || String(key);
}

function variantName(variant) {
  if (BLOCK_NAMES[variant.$name]) return BLOCK_NAMES[variant.$name];
  const kind = editorKind(variant);
  return { enum: "chọn", string: "chữ", number: "số", boolean: "có/không", lines: "danh sách", list: "danh sách",
    object: "các trường", map: "bảng tên", json: "JSON" }[kind];
}

// The form's sections: presentation only. Any field not named here (a field added to the spec later)
// appears in the last section, so the form follows the schema with no change to the page.
const SECTIONS = [
  ["Đầu văn bản", ["loai", "co_quan_chu_quan", "co_quan_ban_hanh", ["so", "ky_hieu", "don_vi_soan_thao"],
    ["dia_danh", "ky"], "ngay"]],
  ["Trích yếu, kính gửi, căn cứ", ["trich_yeu", "kinh_gui", "can_cu"]],
  ["Nội dung", ["noi_dung"]],
  ["Nơi nhận và người ký", ["noi_nhan", "nguoi_ky"]],
];
const LONG_TEXT = new Set(["doan", "trich_yeu", "chu_thich"]);

// ----- the form -------------------------------------------------------------------------------------

function renderForm() {
  const form = $("bieu-mau");
  const scroll = $("khung-noi-dung").scrollTop;
  form.replaceChildren();
  if (!state.spec) return;
  const root = state.schema;
  const required = new Set(root.required || []);
  const placed = new Set();
  for (const [title, keys] of SECTIONS) {
    const section = el("fieldset", { class: "nhom" }, el("legend", {}, title));
    for (const entry of keys) {
      const row = Array.isArray(entry) ? entry : [entry];
      const present = row.filter((key) => root.properties[key]);
      present.forEach((key) => placed.add(key));
      const fields = present.map((key) => renderField(key, root.properties[key], [key], required.has(key), "Spec"));
      section.append(...(present.length > 1 ? [el("div", { class: "hang" }, fields)] : fields));
    }
    form.append(section);
  }
  const others = Object.keys(root.properties).filter((key) => !placed.has(key));
  if (others.length) {
    const used = others.some((key) => getAt([key]) !== undefined && getAt([key]) !== null);
    const rest = el("details", { class: "nhom-khac", open: used || undefined },
      el("summary", {}, "Số liệu, phụ lục và các trường khác"));
    for (const key of others) rest.append(renderField(key, root.properties[key], [key], required.has(key), "Spec"));
    form.append(el("fieldset", { class: "nhom" }, el("legend", {}, "Khác"), rest));
  }
  showProblems();
  $("khung-noi-dung").scrollTop = scroll;
}

function structural() {
  renderForm();
  changed();
}

function renderField(key, schema, path, required, parent) {
  const resolved = resolve(schema);
  const wrapper = el("div", { class: "truong", "data-pointer": pointer(path), title: resolved.description || null });
  const label = el("div", { class: "nhan" }, el("span", {}, labelOf(key, parent)),
    required ? el("span", { class: "buoc", title: "bắt buộc" }, "*") : null, el("span", { class: "ma" }, key));
  wrapper.append(label);
  const value = getAt(path);
  const variants = variantsOf(resolved);
  const kinds = variants.map(editorKind);
  const optionalObject = !required && (value === undefined || value === null) && kinds[0] === "object"
    && variants.every((v) => editorKind(v) !== "string" || v.enum);
  if (optionalObject) {
    wrapper.append(el("button", { type: "button", class: "nho them", onclick: () => {
      setAt(path, defaultFor(variants[0]));
      structural();
    } }, `+ Thêm ${labelOf(key, parent).toLowerCase()}`));
    return wrapper;
  }
  wrapper.append(editor(resolved, path, { required, bar: label, key }));
  if (kinds.includes("object") && variants.length === 1) wrapper.classList.add("doi-tuong");
  return wrapper;
}

function editor(schema, path, context) {
  const variants = variantsOf(schema);
  const kinds = variants.map(editorKind);
  // One string or a list of strings: one editor, a line each (one line is kept as a string).
  if (variants.length > 1 && kinds.every((k) => k === "string" || k === "lines")) {
    return linesEditor(path, context, kinds.includes("string"));
  }
  // All of the same shape (two array forms of the Nơi nhận list): the first is enough to edit.
  const distinct = variants.length > 1 && new Set(kinds).size === 1 && !["object", "string"].includes(kinds[0]);
  if (variants.length === 1 || distinct) return single(variants[0], path, context);
  return unionEditor(schema, variants, path, context);
}

function unionEditor(outer, variants, path, context) {
  const value = getAt(path);
  const chosen = chooseVariant(variants, value, outer);
  const box = el("div", { class: "hop-dang" });
  const picker = el("select", { class: "dang", "aria-label": "dạng", onchange: () => {
    const next = variants[Number(picker.value)];
    setAt(path, carryText(value, defaultFor(next)));
    structural();
  } }, variants.map((variant, index) => el("option", { value: index, selected: index === chosen || undefined },
    variantName(variant))));
  if (context.bar) context.bar.append(picker);
  else box.append(picker);
  box.append(single(variants[chosen], path, { ...context, bar: null }));
  return box;
}

// A block whose kind changes keeps its text (a paragraph becomes a bullet with the same words).
function carryText(old, fresh) {
  const text = isPlainObject(old) ? Object.values(old).find((v) => typeof v === "string" && v) : null;
  if (text && isPlainObject(fresh)) {
    const key = Object.keys(fresh).find((k) => typeof fresh[k] === "string");
    if (key) fresh[key] = text;
  }
  return fresh;
}

function single(schema, path, context) {
  if (schema.$name === "TieuDe") return headingEditor(schema, path);
  const value = getAt(path);
  if (value !== undefined && value !== null && !sameShape(schema, value)) return jsonEditor(path);  // no editor for it
  switch (editorKind(schema)) {
    case "enum": return enumEditor(schema, path, context);
    case "string": return textEditor(schema, path, context);
    case "number": return numberEditor(schema, path, context);
    case "boolean": return checkEditor(schema, path);
    case "lines": return linesEditor(path, context, false);
    case "list": return listEditor(schema, path);
    case "object": return objectEditor(schema, path);
    case "map": return mapEditor(schema, path);
    default: return jsonEditor(path);
  }
}

function emptyValue(context) {
  return context.required ? "" : undefined;
}

function textEditor(schema, path, context) {
  const value = getAt(path);
  const shown = typeof value === "string" ? value : value === undefined || value === null ? "" : String(value);
  const long = LONG_TEXT.has(context.key) || shown.length > 90 || shown.includes("\n");
  const input = long ? el("textarea", { rows: Math.min(8, Math.max(2, Math.ceil(shown.length / 80))) })
    : el("input", { type: "text" });
  input.value = shown;
  if (schema.examples && schema.examples.length && typeof schema.examples[0] === "string") {
    input.placeholder = `ví dụ: ${schema.examples[0]}`;
  }
  input.addEventListener("input", () => {
    setAt(path, input.value === "" ? emptyValue(context) : input.value);
    changed();
  });
  return input;
}

function numberEditor(schema, path, context) {
  const input = el("input", { type: "number", step: schema.type === "integer" ? 1 : "any",
    min: schema.minimum, max: schema.maximum });
  const value = getAt(path);
  input.value = typeof value === "number" ? String(value) : "";
  input.addEventListener("input", () => {
    const text = input.value.trim();
    const number = schema.type === "integer" ? parseInt(text, 10) : parseFloat(text);
    setAt(path, text === "" || Number.isNaN(number) ? (context.required ? null : undefined) : number);
    changed();
  });
  return input;
}

function checkEditor(schema, path) {
  const value = getAt(path);
  const input = el("input", { type: "checkbox" });
  input.checked = value === undefined ? Boolean(schema.default) : Boolean(value);
  input.addEventListener("change", () => {
    setAt(path, input.checked);
    changed();
  });
  return input;
}

function enumEditor(schema, path, context) {
  const value = getAt(path);
  const names = path[0] === "loai" && path.length === 1 ? Object.fromEntries(state.kinds.map((k) => [k.loai, k.ten_loai])) : {};
  const select = el("select", {},
    context.required ? null : el("option", { value: "" }, "—"),
    schema.enum.map((item) => el("option", { value: String(item), selected: item === value || undefined },
      names[item] ? `${names[item]} (${item})` : String(item))));
  select.addEventListener("change", () => {
    const item = schema.enum.find((option) => String(option) === select.value);
    setAt(path, item === undefined ? emptyValue(context) : item);
    changed();
  });
  return select;
}

function linesEditor(path, context, oneAsString) {
  const value = getAt(path);
  const lines = Array.isArray(value) ? value.map((v) => (typeof v === "string" ? v : JSON.stringify(v)))
    : typeof value === "string" ? [value] : [];
  const area = el("textarea", { rows: Math.max(2, Math.min(8, lines.length + 1)), class: "dong" });
  area.value = lines.join("\n");
  area.addEventListener("input", () => {
    const items = area.value.split("\n").map((line) => line.trim()).filter((line) => line !== "");
    if (items.length === 0) setAt(path, context.required ? (oneAsString ? "" : []) : undefined);
    else setAt(path, items.length === 1 && oneAsString ? items[0] : items);
    changed();
  });
  return area;
}

function objectEditor(schema, path) {
  const box = el("div", { class: "con" });
  const required = new Set(schema.required || []);
  const keys = Object.keys(schema.properties || {});
  const scalar = keys.every((key) => ["string", "number", "enum"].includes(editorKind(variantsOf(schema.properties[key])[0]))
    && variantsOf(schema.properties[key]).length === 1);
  const fields = keys.map((key) => renderField(key, schema.properties[key], [...path, key], required.has(key),
    schema.$name));
  box.append(...(scalar && keys.length <= 4 ? [el("div", { class: "hang" }, fields)] : fields));
  return box;
}

// A heading: its level (mục, khoản, tiểu khoản, điểm: exactly one) and its text, then its own blocks.
function headingEditor(schema, path) {
  const value = getAt(path) || {};
  const levels = HEADING_LEVELS.filter(([key]) => key in schema.properties);
  const current = levels.find(([key]) => typeof value[key] === "string") || levels[1] || levels[0];
  const box = el("div", { class: "con" });
  const picker = el("select", { "aria-label": "cấp đề mục" },
    levels.map(([key, name]) => el("option", { value: key, selected: key === current[0] || undefined }, name)));
  const input = el("input", { type: "text", value: value[current[0]] || "", "aria-label": "tên đề mục" });
  input.value = value[current[0]] || "";
  const wrapper = el("div", { class: "truong", "data-pointer": pointer([...path, current[0]]) },
    el("div", { class: "cap-de-muc" }, picker, input));
  picker.addEventListener("change", () => {
    const text = input.value;
    for (const [key] of levels) setAt([...path, key], undefined);
    setAt([...path, picker.value], text);
    structural();
  });
  input.addEventListener("input", () => {
    setAt([...path, picker.value], input.value);
    changed();
  });
  box.append(wrapper);
  const levelKeys = new Set(levels.map(([key]) => key));
  for (const key of Object.keys(schema.properties)) {
    if (levelKeys.has(key)) continue;
    if (key !== "noi_dung" && (value[key] === undefined || value[key] === null)) continue;  // so, doan: when used
    box.append(renderField(key, schema.properties[key], [...path, key], false, "TieuDe"));
  }
  const extra = ["so", "doan"].filter((key) => key in schema.properties && (value[key] === undefined || value[key] === null));
  if (extra.length) {
    box.append(el("div", { class: "hang" }, extra.map((key) => el("button", { type: "button", class: "nho", onclick: () => {
      setAt([...path, key], "");
      structural();
    } }, `+ ${key === "so" ? "số đề mục viết tay" : "đoạn cùng dòng"}`))));
  }
  return box;
}

function listEditor(schema, path) {
  const items = Array.isArray(getAt(path)) ? getAt(path) : [];
  const itemSchema = resolve(schema.items || {});
  const variants = variantsOf(itemSchema);
  const blocks = variants.length > 1 && variants.every((v) => editorKind(v) === "object");
  const box = el("div", { class: "danh-sach" });
  items.forEach((item, index) => {
    const itemPath = [...path, index];
    const bar = el("div", { class: "dieu-khien" },
      el("span", { class: "loai-khoi" }, `${index + 1}.`), el("span", { class: "khoang" }),
      el("button", { type: "button", class: "nho", title: "Lên trên", "aria-label": "lên", disabled: index === 0 || undefined,
        onclick: () => move(path, index, index - 1) }, "↑"),
      el("button", { type: "button", class: "nho", title: "Xuống dưới", "aria-label": "xuống",
        disabled: index === items.length - 1 || undefined, onclick: () => move(path, index, index + 1) }, "↓"),
      blocks ? nestButtons(path, index, items) : null,
      el("button", { type: "button", class: "nho", title: "Xóa", "aria-label": "xóa", onclick: () => {
        items.splice(index, 1);
        structural();
      } }, "✕"));
    const entry = el("div", { class: "muc-danh-sach", "data-pointer": pointer(itemPath) }, bar);
    entry.append(editor(itemSchema, itemPath, { required: true, bar: blocks || variants.length > 1 ? bar : null }));
    box.append(entry);
  });
  const add = (variant) => {
    const list = Array.isArray(getAt(path)) ? getAt(path) : [];
    list.push(defaultFor(variant));
    setAt(path, list);
    structural();
  };
  if (blocks) {
    const picker = el("select", { "aria-label": "loại khối" },
      variants.map((variant, index) => el("option", { value: index }, variantName(variant))));
    box.append(el("div", { class: "hang them" }, picker,
      el("button", { type: "button", class: "nho", onclick: () => add(variants[Number(picker.value)]) }, "+ Thêm khối")));
  } else {
    box.append(el("button", { type: "button", class: "nho them", onclick: () => add(itemSchema) }, "+ Thêm"));
  }
  return box;
}

// Nesting: a block goes into the heading just above it (as its last block), or back out after its heading.
function nestButtons(path, index, items) {
  const above = items[index - 1];
  const canIn = isPlainObject(above) && HEADING_LEVELS.some(([key]) => typeof above[key] === "string");
  const parentPath = path.slice(0, -1);
  const canOut = path.length >= 3 && path[path.length - 1] === "noi_dung" && typeof parentPath[parentPath.length - 1] === "number";
  return [
    el("button", { type: "button", class: "nho", title: "Đưa vào đề mục phía trên", "aria-label": "vào trong",
      disabled: !canIn || undefined, onclick: () => {
        const [block] = items.splice(index, 1);
        above.noi_dung = Array.isArray(above.noi_dung) ? above.noi_dung : [];
        above.noi_dung.push(block);
        structural();
      } }, "→"),
    el("button", { type: "button", class: "nho", title: "Đưa ra ngoài đề mục", "aria-label": "ra ngoài",
      disabled: !canOut || undefined, onclick: () => {
        const [block] = items.splice(index, 1);
        const outer = getAt(parentPath.slice(0, -1));
        outer.splice(parentPath[parentPath.length - 1] + 1, 0, block);
        structural();
      } }, "←"),
  ];
}

function move(path, from, to) {
  const items = getAt(path);
  const [item] = items.splice(from, 1);
  items.splice(to, 0, item);
  structural();
}

function mapEditor(schema, path) {
  const value = isPlainObject(getAt(path)) ? getAt(path) : {};
  const valueSchema = schema.additionalProperties && schema.additionalProperties !== true
    ? schema.additionalProperties : Object.values(schema.patternProperties || {})[0] || {};
  const box = el("div", { class: "danh-sach" });
  for (const key of Object.keys(value)) {
    const itemPath = [...path, key];
    const bar = el("div", { class: "dieu-khien" }, el("span", { class: "loai-khoi" }, key), el("span", { class: "khoang" }),
      el("button", { type: "button", class: "nho", "aria-label": "xóa", title: "Xóa", onclick: () => {
        delete value[key];
        structural();
      } }, "✕"));
    const entry = el("div", { class: "muc-danh-sach", "data-pointer": pointer(itemPath) }, bar);
    const item = value[key];
    const typed = Object.keys(valueSchema).length > 0;
    entry.append(typed ? editor(valueSchema, itemPath, { required: true, bar, key })
      : typeof item === "string" ? textEditor({}, itemPath, { required: true, key }) : jsonEditor(itemPath));
    box.append(entry);
  }
  const name = el("input", { type: "text", placeholder: "tên mới", size: 10, "aria-label": "tên mới" });
  box.append(el("div", { class: "hang them" }, name, el("button", { type: "button", class: "nho", onclick: () => {
    const key = name.value.trim();
    if (!key || key in value) return;
    value[key] = Object.keys(valueSchema).length ? defaultFor(valueSchema) : "";
    setAt(path, value);
    structural();
  } }, "+ Thêm")));
  return box;
}

// Anything the form has no editor for is edited as JSON (still checked by the engine on every change).
function jsonEditor(path) {
  const value = getAt(path);
  const area = el("textarea", { rows: 3, class: "json", spellcheck: "false" });
  area.value = value === undefined ? "" : JSON.stringify(value, null, 1);
  const note = el("div", { class: "loi-truong", hidden: true }, "JSON chưa đúng cú pháp");
  area.addEventListener("input", () => {
    try {
      setAt(path, area.value.trim() === "" ? undefined : JSON.parse(area.value));
      note.hidden = true;
      changed();
    } catch {
      note.hidden = false;
    }
  });
  return el("div", {}, area, note);
}

// ----- problems beside their fields ----------------------------------------------------------------------

function showProblems() {
  const form = $("bieu-mau");
  form.querySelectorAll(".loi-truong.tu-may-chu").forEach((node) => node.remove());
  form.querySelectorAll(".co-loi").forEach((node) => node.classList.remove("co-loi"));
  const general = [];
  for (const problem of state.problems) {
    const target = problem.pointer === null || problem.pointer === undefined ? null : fieldFor(problem.pointer);
    const text = el("div", { class: "loi-truong tu-may-chu" }, problem.message,
      problem.hint ? el("span", { class: "goi-y" }, ` — ${problem.hint}`) : null);
    if (target) {
      target.classList.add("co-loi");
      target.append(text);
    } else {
      general.push(problem);
    }
  }
  const box = $("loi-chung");
  box.replaceChildren();
  box.hidden = general.length === 0;
  if (general.length) {
    box.append(el("b", {}, "Lỗi chưa gắn với trường nào:"),
      el("ul", {}, general.map((p) => el("li", {}, `${p.file ? p.file + (p.line ? ":" + p.line : "") + ": " : ""}${p.message}`,
        p.hint ? el("span", { class: "goi-y" }, ` — ${p.hint}`) : null))));
  }
  const status = $("trang-thai-kiem-tra");
  status.textContent = !state.spec ? "" : state.problems.length ? `${state.problems.length} lỗi` : "Đặc tả hợp lệ";
  status.classList.toggle("co-loi", state.problems.length > 0);
}

function fieldFor(target) {
  const form = $("bieu-mau");
  let current = target;
  while (true) {
    const found = [...form.querySelectorAll("[data-pointer]")].find((node) => node.dataset.pointer === current);
    if (found) return found;
    if (current === "") return null;
    current = current.slice(0, current.lastIndexOf("/"));
  }
}

// ----- change → validate (debounced) and preview (debounced, stale ones cancelled) ---------------------

// 400 ms after the last change the pages are asked for; the spec's check follows as soon as that answer
// is in (a spec with errors fails fast, so its errors still show within a moment of typing): one request
// at a time per change leaves the server's two cores to the preview.
let previewTimer = 0;
let validating = null;
let previewing = null;
const PREVIEW_AFTER_MS = 400;

function changed() {
  state.version += 1;
  clearTimeout(previewTimer);
  previewTimer = setTimeout(preview, PREVIEW_AFTER_MS);
  for (const id of ["tai-docx", "tai-pdf", "tai-goi"]) $(id).disabled = !state.spec;
}

async function validate() {
  if (validating) validating.abort();
  const controller = new AbortController();
  validating = controller;
  try {
    const answer = await api("POST", "/v1/spec", specForm(), { signal: controller.signal });
    state.problems = answer.problems;
    state.findings = answer.findings;
    showProblems();
    showFindings();
  } catch (error) {
    if (error.name !== "AbortError") notify(describeError(error), true);
  }
}

async function preview() {
  if (previewing) previewing.abort();
  const controller = new AbortController();
  previewing = controller;
  const version = state.version;
  const pages = $("cac-trang");
  $("dang-dung").hidden = false;
  pages.classList.add("cu");
  try {
    const answer = await api("POST", "/v1/pages", specForm(), { signal: controller.signal });
    await showPages(answer, version);
    showCheck(answer.the_thuc);
    state.findings = answer.findings;
    showFindings();
  } catch (error) {
    if (error.name === "AbortError") return;
    const count = (error.problems || []).length || 1;
    $("so-trang").textContent = error.status === 422 ? `Chưa dựng được: ${count} lỗi (xem bên trái)`
      : `Chưa dựng được: ${describeError(error)}`;
    if (!pages.querySelector("img")) {
      pages.replaceChildren(el("p", { class: "trong" }, "Văn bản chưa dựng được: sửa các lỗi ghi đỏ bên trái, trang sẽ hiện ở đây."));
    }
    pages.dataset.loi = String(version);
  } finally {
    if (previewing === controller) {
      $("dang-dung").hidden = true;
      previewing = null;
      validate();
    }
  }
}

async function showPages(answer, version) {
  const pages = $("cac-trang");
  const images = answer.anh.map((data, index) => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    const url = URL.createObjectURL(new Blob([bytes], { type: "image/png" }));
    return el("img", { src: url, alt: `Trang ${index + 1}`, "data-trang": index + 1 });
  });
  await Promise.all(images.map((image) => image.decode().catch(() => null)));
  pages.querySelectorAll("img").forEach((old) => URL.revokeObjectURL(old.src));
  pages.replaceChildren(...images);
  pages.classList.remove("cu");
  pages.dataset.phienBan = String(version);
  delete pages.dataset.loi;
  $("so-trang").textContent = `${answer.so_trang} trang`;
  if (answer.notices && answer.notices.length) notify(answer.notices.join("; "));
}

function showCheck(findings) {
  const list = $("the-thuc");
  list.replaceChildren(...(findings.length ? findings.map((f) => el("li", { class: "error" }, f.message,
    f.places && f.places.length ? el("div", { class: "mo" }, f.places.slice(0, 2).join("; ")) : null))
    : [el("li", { class: "dat" }, "Đúng thể thức.")]));
}

function showFindings() {
  const list = $("kiem-so-lieu");
  const findings = state.findings || [];
  list.replaceChildren(...(findings.length ? findings.map(findingItem)
    : [el("li", { class: "dat" }, state.spec ? "Không thấy số ghi sai." : "Chưa kiểm tra.")]));
  const count = findings.filter((f) => f.level === "error").length;
  $("dem-so-lieu").hidden = count === 0;
  $("dem-so-lieu").textContent = String(count);
  if (state.table) showTable();
}

function findingItem(finding) {
  return el("li", { class: finding.level },
    finding.message,
    finding.stated !== null && finding.computed !== null && finding.stated !== undefined
      ? el("div", { class: "mo" }, `ghi ${finding.stated} · tính được ${finding.computed}`) : null,
    el("div", { class: "mo" }, finding.location));
}

// ----- the export: how the engine reads it, its columns mapped to the framework's fields -----------------

function scoringEntries() {
  return isPlainObject(state.spec && state.spec.cham_diem) ? Object.keys(state.spec.cham_diem) : [];
}

function fillDataControls() {
  const entries = scoringEntries();
  const entry = $("muc-cham-diem");
  const previous = entry.value;
  entry.replaceChildren(...(entries.length ? entries : ["kq"]).map((name) => el("option", { value: name }, name)));
  if (entries.includes(previous)) entry.value = previous;
  const framework = $("bo-chi-so");
  const current = entries.length ? (state.spec.cham_diem[entry.value] || {}).bo_tieu_chi : null;
  framework.replaceChildren(...state.frameworks.filter((f) => f.kieu === "bo_chi_so")
    .map((f) => el("option", { value: f.ten, title: f.mo_ta, selected: f.ten === current || undefined }, f.ten)));
}

async function readTable(sheet) {
  const file = state.tableFile;
  if (!file) return;
  const form = new FormData();
  form.append("files", state.files.get(file), file);
  form.append("bo_tieu_chi", $("bo-chi-so").value);
  form.append("so_don_vi", "2000");
  if (sheet) form.append("trang_tinh", sheet);
  $("cach-doc").replaceChildren(el("p", { class: "mo" }, "Đang đọc bảng…"));
  try {
    state.table = await api("POST", "/v1/data", form);
  } catch (error) {
    state.table = null;
    $("cach-doc").replaceChildren(el("p", { class: "loi-truong" }, describeError(error)));
    return;
  }
  const sheets = state.table.cac_trang_tinh || [];
  $("o-trang-tinh").hidden = sheets.length < 2;
  $("trang-tinh").replaceChildren(...sheets.map((name) => el("option", { value: name,
    selected: name === state.table.trang_tinh || undefined }, name)));
  applyMapping(true);
  showTable();
}

function sameColumn(column, written) {
  if (!written) return false;
  const norm = (text) => String(text || "").toLocaleLowerCase("vi").replace(/\s+/g, " ").trim();
  const want = norm(written);
  return [column.ten, column.ten_ngan, column.nhan].some((name) => name && norm(name) === want)
    || (column.ten && norm(column.ten).endsWith(" / " + want));
}

// Write the mapping into the spec: the entry reads this file (and sheet), each field from its column.
function applyMapping(fromReading) {
  const table = state.table;
  const name = $("muc-cham-diem").value || "kq";
  if (!isPlainObject(state.spec.cham_diem)) state.spec.cham_diem = {};
  const entry = isPlainObject(state.spec.cham_diem[name]) ? state.spec.cham_diem[name] : {};
  const written = isPlainObject(entry.cot) ? entry.cot : {};
  const cot = {};
  for (const field of table.truong || []) {
    let column;
    if (fromReading) {
      column = table.cot.find((c) => sameColumn(c, written[field.ma]))
        || table.cot.find((c) => sameColumn(c, (table.goi_y_cot || {})[field.ma]));
    } else {
      const select = document.querySelector(`select[data-truong="${CSS.escape(field.ma)}"]`);
      column = select && select.value !== "" ? table.cot[Number(select.value)] : null;
    }
    if (column) cot[field.ma] = column.ten || column.nhan;
  }
  const updated = { ...entry, bo_tieu_chi: table.bo_tieu_chi || entry.bo_tieu_chi, du_lieu: table.tep };
  if (table.trang_tinh && (table.cac_trang_tinh || []).length) updated.trang_tinh = table.trang_tinh;
  else delete updated.trang_tinh;
  updated.cot = cot;
  state.spec.cham_diem[name] = updated;
  structural();
}

function showTable() {
  const table = state.table;
  const box = $("cach-doc");
  if (!table) return;
  const name = $("muc-cham-diem").value || "kq";
  const cot = ((state.spec.cham_diem || {})[name] || {}).cot || {};
  const mine = (state.findings || []).filter((f) => String(f.location || "").startsWith(table.tep + ":"));
  const rowOf = (finding) => Number((/^[^:]*:(\d+)/.exec(finding.location) || [])[1]);
  const byRow = new Map();
  for (const finding of mine) byRow.set(rowOf(finding), [...(byRow.get(rowOf(finding)) || []), finding]);

  const header = table.dong_tieu_de.length ? `dòng ${table.dong_tieu_de.join(", ")}` : "không tìm thấy";
  const parts = [
    el("p", {}, el("b", {}, table.tep), table.trang_tinh ? `, trang tính “${table.trang_tinh}”` : "",
      ` — dòng tiêu đề cột: ${header}`, table.dong_so_cot ? `; dòng đánh số cột: ${table.dong_so_cot}` : "",
      `; ${table.so_don_vi} đơn vị`, table.cot_trong_bo_qua.length ? `; bỏ cột trống ${table.cot_trong_bo_qua.join(", ")}` : ""),
  ];
  if (table.truong) {
    parts.push(el("h3", {}, `Ghép cột với bộ ${table.bo_tieu_chi}`));
    parts.push(el("table", { class: "bang ghep" }, el("tr", {}, el("th", {}, "Trường của bộ chỉ số"), el("th", {}, "Cột của bảng")),
      table.truong.map((field) => {
        const select = el("select", { "data-truong": field.ma, "aria-label": field.ten, onchange: () => applyMapping(false) },
          el("option", { value: "" }, "— không dùng —"),
          table.cot.map((column, index) => el("option", { value: index, selected: sameColumn(column, cot[field.ma]) || undefined },
            `${column.nhan ? column.nhan + " " : ""}${column.ten_ngan || column.ten || column.cot}`)));
        return el("tr", {}, el("td", {}, field.ten, el("span", { class: "ma" }, ` ${field.ma}`)), el("td", {}, select));
      })));
  }
  parts.push(el("h3", {}, "Các cột đọc được"));
  parts.push(el("table", { class: "bang" }, el("tr", {}, ["Cột", "Nhãn", "Tiêu đề", "Kiểu"].map((t) => el("th", {}, t))),
    table.cot.map((c) => el("tr", {}, el("td", {}, c.cot), el("td", {}, c.nhan || ""), el("td", {}, c.ten || ""),
      el("td", {}, c.kieu || "")))));
  parts.push(el("h3", {}, "Các đơn vị"));
  const unitRows = [];
  for (const unit of table.don_vi) {
    const found = byRow.get(unit.dong) || [];
    unitRows.push(el("tr", { class: found.length ? "co-phat-hien" : null }, el("td", {}, unit.dong),
      (unit.o || []).map((cell) => el("td", {}, cell))));
    for (const finding of found) unitRows.push(findingRow(finding, (unit.o || []).length + 1));
  }
  const labels = table.cot.map((c) => c.nhan || c.cot);
  parts.push(el("table", { class: "bang" }, el("tr", {}, el("th", {}, "Dòng"),
    (table.don_vi[0] && table.don_vi[0].o || []).map((_, i) => el("th", { title: (table.cot[i] || {}).ten || "" },
      labels[i] || ""))), unitRows));
  parts.push(el("h3", {}, "Các dòng bỏ qua"));
  const skipped = [];
  for (const row of table.dong_bo_qua) {
    const found = byRow.get(row.dong) || [];
    skipped.push(el("tr", { class: found.length ? "co-phat-hien" : null },
      el("td", {}, row.den_dong ? `${row.dong}–${row.den_dong}` : row.dong), el("td", {}, row.ly_do || row.loai),
      el("td", {}, row.noi_dung)));
    for (const finding of found) skipped.push(findingRow(finding, 3));
  }
  parts.push(el("table", { class: "bang" }, el("tr", {}, ["Dòng", "Vì sao", "Nội dung"].map((t) => el("th", {}, t))), skipped));
  box.replaceChildren(...parts);
}

function findingRow(finding, span) {
  return el("tr", { class: "phat-hien-dong" }, el("td", { class: "phat-hien-o", colspan: span },
    `⚠ ${finding.message}`));
}

async function uploadTable(file) {
  state.files.set(file.name, file);
  state.tableFile = file.name;
  const name = $("muc-cham-diem").value;
  const entry = ((state.spec && state.spec.cham_diem) || {})[name] || {};
  await readTable(entry.du_lieu === file.name ? entry.trang_tinh : null);
}

// ----- starting a document ------------------------------------------------------------------------------

function startWith(spec, files = new Map()) {
  state.spec = spec;
  state.files = files;
  state.table = null;
  state.tableFile = null;
  state.problems = [];
  $("cach-doc").replaceChildren();
  $("o-trang-tinh").hidden = true;
  fillDataControls();
  renderForm();
  changed();
}

function fromKind(kind) {
  const spec = defaultFor(state.schema);
  const year = new Date().getFullYear();
  // What every new document starts with (the clerk fills the rest); the schema gives the required fields.
  Object.assign(spec, {
    loai: kind, co_quan_ban_hanh: { ten: ["ỦY BAN NHÂN DÂN", ""], viet_tat: "UBND" }, so: null, dia_danh: "",
    ngay: { nam: year }, trich_yeu: "", noi_dung: [{ doan: "" }], noi_nhan: { cac_noi: ["Như trên"], luu: "" },
    nguoi_ky: { quyen_han: "TM.", thay: "Ủy ban nhân dân", chuc_vu: "Chủ tịch", ho_ten: "" },
  });
  startWith(spec);
  notify(`Văn bản mới: ${(state.kinds.find((k) => k.loai === kind) || {}).ten_loai || kind}. Điền các trường, trang văn bản hiện bên phải.`);
}

async function fromYamlText(text, files) {
  const form = new FormData();
  form.append("spec", text);
  for (const [name, blob] of files) form.append("files", blob, name);
  const answer = await api("POST", "/v1/spec", form);
  if (!isPlainObject(answer.spec)) {
    throw problemError(answer.problems.length ? answer.problems : [{ message: "tệp đặc tả không đọc được" }]);
  }
  startWith(answer.spec, files);
  state.problems = answer.problems;
  showProblems();
}

async function openSaved(list) {
  const chosen = [...list];
  const texts = await Promise.all(chosen.map(async (file) => (/\.(ya?ml|json)$/i.test(file.name) ? file.text() : null)));
  const index = texts.findIndex((text) => text !== null && /^\s*"?loai"?\s*:/m.test(text));
  if (index < 0) {
    notify("Không thấy tệp đặc tả (.yaml có dòng 'loai:') trong các tệp đã chọn.", true);
    return;
  }
  const files = new Map(chosen.filter((_, i) => i !== index).map((file) => [file.name, file]));
  await fromYamlText(texts[index], files);
  notify(`Đã mở ${chosen[index].name}` + (files.size ? ` cùng ${files.size} tệp số liệu.` : "."));
}

async function fromDocument(file) {
  const form = new FormData();
  form.append("document", file, file.name);
  const period = $("ky-moi").value.trim();
  if (period) form.append("ky", period);
  notify(`Đang đọc ${file.name}…`);
  const answer = await api("POST", "/v1/init", form);
  const files = new Map(Object.entries(answer.files).map(([name, data]) =>
    [name, new Blob([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))])]));
  await fromYamlText(answer.spec_yaml, files);
  const notes = (answer.notes || []).join(" ");
  notify(`Đã lập văn bản từ ${file.name}${answer.ky ? `, kỳ ${answer.ky}` : ""}. ${notes}`);
}

// ----- downloads ----------------------------------------------------------------------------------------

async function download(kind) {
  const path = kind === "zip" ? "/v1/bundle" : `/v1/render?formats=${kind}`;
  try {
    const response = await api("POST", path, specForm(), { raw: true });
    const blob = await response.blob();
    const disposition = response.headers.get("content-disposition") || "";
    const utf8 = /filename\*=UTF-8''([^;]+)/.exec(disposition);
    const plain = /filename="([^"]+)"/.exec(disposition);
    const name = utf8 ? decodeURIComponent(utf8[1]) : plain ? plain[1] : `van_ban.${kind}`;
    const link = el("a", { href: URL.createObjectURL(blob), download: name, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60000);
    notify(`Đã tải ${name}.`);
  } catch (error) {
    notify(`Chưa tải được: ${describeError(error)}`, true);
  }
}

// ----- the page starts ----------------------------------------------------------------------------------

async function boot() {
  try {
    const [schema, kinds, frameworks] = await Promise.all([api("GET", "/v1/schema"), api("GET", "/v1/kinds"),
      api("GET", "/v1/frameworks")]);
    state.schema = schema;
    state.kinds = kinds;
    state.frameworks = frameworks;
    $("chon-loai").replaceChildren(...kinds.map((kind) => el("option", { value: kind.loai }, kind.ten_loai)));
    fillDataControls();
    notify("");
    document.body.dataset.sanSang = "1";
  } catch (error) {
    notify(error.status === 401 ? "Máy chủ cần khóa API: nhập khóa vào ô “Khóa API” phía trên."
      : `Không tải được trang: ${describeError(error)}`, true);
  }
}

function guarded(action) {
  return async (...args) => {
    try {
      await action(...args);
    } catch (error) {
      notify(describeError(error), true);
    }
  };
}

function wire() {
  $("tao-moi").addEventListener("click", () => state.schema && fromKind($("chon-loai").value));
  $("mo-dac-ta").addEventListener("change", guarded(async (event) => {
    if (event.target.files.length) await openSaved(event.target.files);
    event.target.value = "";
  }));
  $("tu-van-ban").addEventListener("change", guarded(async (event) => {
    if (event.target.files.length) await fromDocument(event.target.files[0]);
    event.target.value = "";
  }));
  $("tai-bang").addEventListener("change", guarded(async (event) => {
    if (!state.spec) {
      notify("Bắt đầu một văn bản trước khi tải bảng điểm.", true);
      return;
    }
    if (event.target.files.length) await uploadTable(event.target.files[0]);
    event.target.value = "";
  }));
  $("trang-tinh").addEventListener("change", guarded(() => readTable($("trang-tinh").value)));
  $("bo-chi-so").addEventListener("change", guarded(() => readTable(state.table && state.table.trang_tinh)));
  $("muc-cham-diem").addEventListener("change", () => fillDataControls());
  $("tai-docx").addEventListener("click", () => download("docx"));
  $("tai-pdf").addEventListener("click", () => download("pdf"));
  $("tai-goi").addEventListener("click", () => download("zip"));
  for (const tab of document.querySelectorAll("[role=tab]")) {
    tab.addEventListener("click", () => {
      for (const other of document.querySelectorAll("[role=tab]")) {
        other.setAttribute("aria-selected", String(other === tab));
        $(other.dataset.the).hidden = other !== tab;
      }
    });
  }
  const key = $("khoa-api");
  key.value = apiKey();
  if (key.value) $("o-khoa").hidden = false;
  let retry = 0;
  key.addEventListener("input", () => {  // saved as it is typed (or pasted), not only when the box is left
    sessionStorage.setItem(KEY_STORE, key.value.trim());
    clearTimeout(retry);
    if (!state.schema) retry = setTimeout(boot, 400);
  });
}

wire();
boot();
