"""The languages: choosing one per run, the catalogue's completeness, fonts, storyboards (docs/i18n.md)."""

from __future__ import annotations

import ast
import os
import re
import string
import threading
import warnings
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.pofile import read_po

from patchlab import i18n
from patchlab.i18n import LANGUAGES, _, catalogue_path, choose, current_language, language_of, ngettext, speaking

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [ROOT / "app.py", ROOT / "pages", ROOT / "src" / "patchlab"]  # what babel.cfg extracts (Makefile)
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def catalogue(language="zh"):
    with catalogue_path(language).open("rb") as file:
        return read_po(file, locale=language)


def extracted():
    """Every sentence in the code now, as ``pybabel extract`` finds it: msgid -> where."""
    found = {}
    for source in SOURCES:
        if source.is_file():
            rows = ((source.name, *row[:3]) for row in extract_from_file("python", source, keywords=KEYWORDS))
        else:
            rows = ((f"{source.name}/{row[0]}", *row[1:4]) for row in
                    extract_from_dir(source, [("**.py", "python")], keywords=KEYWORDS))
        for where, line, message, _comments in rows:
            key = message if isinstance(message, str) else message[0]
            found.setdefault(key, f"{where}:{line}")
    return found


def fields(text):
    """The ``{placeholders}`` of a format string (a sorted list, repeats kept once)."""
    return sorted({name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None})


# ---------------------------------------------------------------- choosing the language


def test_the_link_wins_then_the_switch_then_the_browser():
    assert choose(link="en", chosen="zh", browser="zh-CN") == "en"
    assert choose(link="zh", chosen="en", browser="en-US") == "zh"
    assert choose(link=None, chosen="zh", browser="en-US") == "zh"
    assert choose(link="fr", chosen=None, browser="zh-CN") == "zh"  # a language PatchLab does not speak is passed over
    assert choose(browser="en-GB") == "en" and choose(browser="de-DE") == "en" and choose() == "en"


@pytest.mark.parametrize(("locale", "language"), [("zh-CN", "zh"), ("zh_TW", "zh"), ("zh-Hans-CN", "zh"),
                                                  ("ZH", "zh"), ("en-US", "en"), ("en", "en"), ("ja-JP", None),
                                                  ("", None), (None, None), ("chinese", None)])
def test_a_browser_locale_names_its_language(locale, language):
    assert language_of(locale) == language


def test_an_unknown_language_is_refused_by_name():
    with pytest.raises(ValueError, match="language must be one of en, zh"):
        i18n.set_language("fr")


def test_each_thread_speaks_its_own_language():
    """One server process, one thread per participant: a Chinese run never changes an English one."""
    seen, ready = {}, threading.Barrier(2)

    def run(language):
        i18n.set_language(language)
        ready.wait(timeout=10)  # both threads have set their language before either reads it
        seen[language] = (current_language(), _("Patches"), ngettext("{n} file was skipped",
                                                                    "{n} files were skipped", 2))

    threads = [threading.Thread(target=run, args=(lang,)) for lang in ("zh", "en")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert seen["en"] == ("en", "Patches", "{n} files were skipped")
    assert seen["zh"][0] == "zh" and seen["zh"][1] == "图像块" and "{n}" in seen["zh"][2]
    assert current_language() == "en"  # this thread was never switched


def test_an_empty_message_stays_empty_and_a_missing_one_stays_english():
    with speaking("zh"):
        assert _("") == ""  # gettext("") would be the catalogue's header
        assert _("a sentence nobody wrote") == "a sentence nobody wrote"


def test_a_po_newer_than_its_mo_is_read_from_the_po(tmp_path, monkeypatch):
    """A clone started without `make catalogue` speaks Chinese too: the .po is compiled in memory."""
    folder = tmp_path / "zh" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "patchlab.po").write_text('msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                                        'msgid "Patches"\nmsgstr "图像块"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALES", tmp_path)
    monkeypatch.setattr(i18n, "_loaded", {})
    with speaking("zh"):
        assert _("Patches") == "图像块"


def test_make_catalogue_compiles_what_pybabel_would_refuse(tmp_path, monkeypatch):
    """"95 % interval" is text, not a %-format placeholder: the catalogue compiles and reads back."""
    folder = tmp_path / "zh" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "patchlab.po").write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "95 % interval"\nmsgstr "95 % 置信区间"\n\n'
        '#, fuzzy\nmsgid "Patches"\nmsgstr "图像块"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALES", tmp_path)
    monkeypatch.setattr(i18n, "_loaded", {})
    assert i18n.compile_catalogue("zh") == (1, 2)  # the fuzzy one is not counted, nor written
    import gettext

    with (folder / "patchlab.mo").open("rb") as file:
        compiled = gettext.GNUTranslations(file)
    assert compiled.gettext("95 % interval") == "95 % 置信区间" and compiled.gettext("Patches") == "Patches"
    with pytest.raises(ValueError, match="language"):
        i18n.compile_catalogue("fr")


# ---------------------------------------------------------------- the catalogue


def test_every_message_is_translated_and_none_is_fuzzy():
    cat = catalogue()
    untranslated = [m.id for m in cat if m.id and not all(m.string if isinstance(m.string, tuple) else [m.string])]
    fuzzy = [m.id for m in cat if m.id and m.fuzzy]
    assert len(cat) > 500
    assert not untranslated, f"{len(untranslated)} untranslated (make messages, then translate): {untranslated[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy (check and clear the flag): {fuzzy[:5]}"


def test_placeholders_icons_and_code_are_the_same_in_both_languages():
    problems = []
    for m in catalogue():
        if not m.id:
            continue
        sources = [m.id] if isinstance(m.id, str) else list(m.id)
        targets = [m.string] if isinstance(m.string, str) else list(m.string)
        for target in targets:
            for source in sources:
                if fields(source) != fields(target):
                    problems.append(f"{source!r}: {fields(source)} vs {fields(target)}")
            for pattern in (r":material/[a-z_]+:", r"`[^`]+`", r"\]\([^)]+\)"):
                if sorted(re.findall(pattern, sources[0])) != sorted(re.findall(pattern, target)):
                    problems.append(f"{sources[0][:60]!r}: {pattern} differs")
    assert not problems, "\n".join(problems[:20])


def test_every_sentence_in_the_code_is_in_the_catalogue():
    """A sentence added to a page without a translation fails here (the catalogue's entries are translated)."""
    now = extracted()
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue() if m.id}
    missing = sorted(set(now) - known)
    assert len(now) > 500
    assert not missing, (f"{len(missing)} sentence(s) in the code are not in locales/zh/LC_MESSAGES/patchlab.po; "
                         "run `make messages` and translate them: "
                         + "; ".join(f"{now[m]} {m[:60]!r}" for m in missing[:10]))


def test_the_catalogue_holds_no_sentence_the_code_lost():
    now = extracted()
    stale = sorted(m.id for m in catalogue() if m.id and (m.id if isinstance(m.id, str) else m.id[0]) not in now)
    assert not stale, f"`make messages` drops these from the catalogue: {stale[:10]}"


def test_translating_a_message_without_a_placeholder_never_raises():
    with speaking("zh"):
        for m in catalogue():
            if m.id and isinstance(m.id, str):
                text = _(m.id)
                assert text, m.id
                if fields(m.id):
                    text.format(**{name: "1" for name in fields(m.id)})


def _binds_underscore(scope):
    """Whether ``scope`` (a function or a comprehension) binds the name ``_`` itself (not in a nested scope)."""
    nested = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp, ast.SetComp,
              ast.DictComp, ast.GeneratorExp)
    if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
        stack = list(scope.body)
    else:
        stack = [g.target for g in scope.generators]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name) and node.id == "_" and isinstance(node.ctx, ast.Store):
            return True
        if not isinstance(node, nested):
            stack.extend(ast.iter_child_nodes(node))
    return False


def test_no_function_hides_the_translation_function_behind_a_variable():
    """``h, w, _ = shape`` in a function that also calls ``_()`` would call a tuple."""
    problems = []
    files = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "src").rglob("*.py"))]
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for scope in ast.walk(tree):
            if not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ListComp, ast.SetComp,
                                      ast.DictComp, ast.GeneratorExp)):
                continue
            calls = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "_"
                        for n in ast.walk(scope))
            if calls and _binds_underscore(scope):
                problems.append(f"{path.relative_to(ROOT)}:{scope.lineno}")
    assert not problems, "`_` is both a variable and the translation function in: " + ", ".join(problems)


def test_the_languages_have_their_own_names():
    assert LANGUAGES == {"en": "English", "zh": "简体中文"}


# ---------------------------------------------------------------- storyboards and figures


def test_every_scene_of_the_shipped_storyboards_speaks_chinese():
    from patchlab.storyboard import find_storyboards, load_storyboard
    from patchlab.ui.registry import page_names

    for path in find_storyboards(ROOT / "presentations"):
        board = load_storyboard(path, pages=page_names())
        assert board.title_in("zh") != board.title, path.name
        for number, scene in enumerate(board.scenes, 1):
            assert re.search(r"[\u4e00-\u9fff]", scene.point_in("zh")), f"{path.name}, scene {number}: no point_zh"
            assert scene.point_in("en") == scene.point


def test_a_storyboard_point_in_another_language_is_checked_like_the_point():
    from patchlab.storyboard import StoryboardError, parse_storyboard

    board = parse_storyboard('title_zh = "演示"\n[[scene]]\npage = "home"\npoint = "Hi"\npoint_zh = "你好"\n')
    assert board.title_in("zh") == "演示" and board.scenes[0].point_in("zh") == "你好"
    with speaking("zh"):
        assert board.scenes[0].point_in() == "你好"
    with pytest.raises(StoryboardError, match="field 'point_zh' must be one line"):
        parse_storyboard('[[scene]]\npage = "home"\npoint = "a"\npoint_zh = """x\ny"""\n')


def _require_cjk_font():
    from patchlab.fonts import cjk_font_file

    if cjk_font_file() is None:
        if os.environ.get("CI"):
            pytest.fail("no Chinese font: `make test` installs Debian's fonts-wqy-microhei")
        pytest.skip("no Chinese font installed (make test installs fonts-wqy-microhei)")


def test_a_chinese_figure_has_every_glyph():
    _require_cjk_font()
    from matplotlib.figure import Figure

    from patchlab.fonts import use_in_figures
    from patchlab.visualize import figure_png

    assert use_in_figures()
    fig = Figure(figsize=(3, 2))
    ax = fig.add_subplot()
    ax.set_title("权重图 weight map × 10⁻⁷")
    ax.set_xlabel("步长 stride")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" is a UserWarning
        png = figure_png(fig)
    assert png.startswith(b"\x89PNG")


def test_a_chinese_colour_bar_label_is_drawn_in_the_chinese_font():
    _require_cjk_font()
    import numpy as np

    from patchlab.fonts import label_runs, label_width
    from patchlab.visualize import heatmap_with_colour_bar

    assert [cjk for _run, cjk in label_runs("合并权重 (log) 10⁻⁷")] == [True, False]
    assert label_width("合并权重", 13) > 3 * 13 * 0.8  # four full-width glyphs, not four narrow boxes
    picture = heatmap_with_colour_bar(np.arange(64.0).reshape(8, 8), "viridis", "合并权重")
    assert picture.dtype == np.uint8 and picture.shape[2] == 3
