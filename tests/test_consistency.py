"""Code, docs, examples and the README never drift apart.

The set of rule codes must be the same in the catalogue, the rules/ pages,
the README's rule table, the CHANGELOG and the eval files; every link we
print must be one of the public references the project vetted.
"""

import re

import pytest

from expectations import REPO, expected_reports
from lintplugin.catalogue import RULES

CODE = re.compile(r"\bSKT\d{3}\b")
REFERENCES = REPO.parent / "shared" / "references.md"


def catalogue_codes():
    return set(RULES)


def test_rule_pages_match_catalogue():
    pages = {path.stem for path in (REPO / "rules").glob("SKT*.md")}
    assert pages == catalogue_codes()


def test_readme_table_is_the_catalogue_word_for_word():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    rows = [line for line in readme.splitlines() if re.match(r"^\|\s*SKT\d{3}\s*\|", line)]
    expected = [f"| {rule.code} | {rule.name} | {rule.summary} |" for rule in RULES.values()]
    assert rows == expected, "README's rule table must be the catalogue's code, name and summary, in order"


def test_every_message_template_is_filled_by_its_check():
    """The fields a rule's message names are the ones its check provides:
    rendering every eval file's findings would fail on a missing field."""
    import string

    for rule in RULES.values():
        fields = {name for _, name, _, _ in string.Formatter().parse(rule.message) if name}
        assert fields, rule.code
        assert fields <= {"sockets", "subject", "is"} | MESSAGE_FIELDS[rule.code], (rule.code, fields)


# What each check fills in besides the socket names (see lintplugin/checks/).
MESSAGE_FIELDS = {
    "SKT101": {"origin", "failure", "consequence", "more", "fix"},
    "SKT102": {"origin", "call", "sink", "fix"},
    "SKT103": {"call", "spin"},
    "SKT104": {"caught", "goes_on"},
    "SKT105": {"how", "sink", "consequence", "fix"},
    "SKT106": {"origin", "consequence"},
    "SKT107": {"owner", "consequence", "fix"},
    "SKT201": {"onoff"},
    "SKT301": {"half_close", "lingering"}, "SKT302": {"half_close"}, "SKT303": {"lingering"},
    "SKT304": {"call", "error"},
    "SKT900": {"what", "why", "outcome"},
}


def test_changelog_matches_catalogue():
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert set(CODE.findall(changelog)) == catalogue_codes()


def test_eval_files_cover_catalogue():
    annotated = set()
    for path in (REPO / "tests" / "eval_files").glob("*.py"):
        annotated |= {code for _, code in expected_reports(path.read_text(encoding="utf-8"))}
    assert annotated == catalogue_codes()


def test_codes_fit_flake8_selection_syntax():
    # flake8 only accepts codes matching ^[A-Z]{1,3}[0-9]{0,3}$ in select/ignore.
    for code in RULES:
        assert re.fullmatch(r"[A-Z]{1,3}[0-9]{0,3}", code), code


def test_names_are_unique_kebab_case():
    names = [rule.name for rule in RULES.values()]
    assert len(names) == len(set(names))
    for name in names:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", name), name


@pytest.mark.skipif(not REFERENCES.is_file(), reason="shared/references.md is not beside the checkout")
def test_every_link_is_a_vetted_reference():
    vetted = set(re.findall(r"https?://[^\s)>]+", REFERENCES.read_text(encoding="utf-8")))
    used = {rule.link for rule in RULES.values() if rule.link}
    for page in (REPO / "rules").glob("SKT*.md"):
        used |= set(re.findall(r"https?://[^\s)>]+", page.read_text(encoding="utf-8")))
    unvetted = {link for link in used if link.split("#:~:")[0] not in vetted}
    assert not unvetted, f"links not in shared/references.md: {sorted(unvetted)}"


def test_readme_documents_every_option():
    """Each option the plugin registers with flake8, and each name the
    commands read from pyproject.toml, has a row in the README's table."""
    from flake8.options.manager import OptionManager

    from lintplugin.config import OPTIONS
    from lintplugin.plugin import SocketCloseChecker

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z-]+)`", section, flags=re.MULTILINE))
    documented |= set(re.findall(r"^\| `[a-z-]+`, `([a-z-]+)`", section, flags=re.MULTILINE))

    manager = OptionManager(version="0", plugin_versions="", parents=[], formatter_names=[])
    SocketCloseChecker.add_options(manager)
    registered = {option.long_option_name[2:] for option in manager.options}
    assert registered <= documented
    assert set(OPTIONS) <= documented


def test_readme_audit_example_is_what_the_command_prints():
    import subprocess
    import sys

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    shown = readme.split("on this repository's `examples/`:\n\n```text\n", 1)[1].split("```", 1)[0]
    done = subprocess.run(
        [sys.executable, "-m", "lintplugin", "audit", "--isolated", "examples"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert done.stdout == shown, done.stderr
