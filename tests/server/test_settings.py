"""Settings: one table (kg/settings.py) drives the `kg` flags, the environment and docs/settings.md."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.settings import SETTINGS, Settings, settings_markdown_table

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "settings.md"
#: A KG_* name inside a string or a comment: an environment variable (unless it is also a
#: Python name of the code, such as KG_NAMESPACE, which f-strings show).
ENV_NAME = re.compile(r"\bKG_[A-Z][A-Z0-9_]*\b")


def test_docs_show_the_settings_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert settings_markdown_table() in text, (
        "docs/settings.md's table is out of date: paste kg.settings.settings_markdown_table()"
    )


def _mentioned_env_names() -> dict[str, str]:
    found: dict[str, str] = {}
    identifiers: set[str] = set()
    for folder in ("kg", "server"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            for token in tokenize.generate_tokens(io.StringIO(source).readline):
                if token.type == tokenize.NAME:
                    identifiers.add(token.string)
                elif token.type in (tokenize.STRING, tokenize.COMMENT):
                    for name in ENV_NAME.findall(token.string):
                        found.setdefault(name, f"{path.relative_to(ROOT)}:{token.start[0]}")
    return {name: where for name, where in found.items() if name not in identifiers}


def test_every_environment_variable_in_the_code_is_a_setting() -> None:
    mentioned = _mentioned_env_names()
    assert "KG_STORE" in mentioned  # the scan sees the names (else this test proves nothing)
    known = {s.env for s in SETTINGS}
    unknown = {name: where for name, where in mentioned.items() if name not in known}
    assert not unknown, f"KG_* names that are not in kg/settings.py: {unknown}"


def test_no_environment_reads_outside_settings() -> None:
    readers = re.compile(r"os\.environ\.get|os\.getenv|os\.environ\[|environ\.get\(\"KG_")
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("kg", "server")
        for path in (ROOT / folder).rglob("*.py")
        if path.name != "settings.py" and readers.search(path.read_text(encoding="utf-8"))
    ]
    assert not offenders


@pytest.mark.parametrize(
    "setting", [pytest.param(s, id=s.name) for s in SETTINGS if "serve" in s.commands]
)
def test_every_serve_setting_has_a_serve_flag(setting) -> None:  # type: ignore[no-untyped-def]
    help_text = CliRunner().invoke(main, ["serve", "--help"], terminal_width=400).output
    assert setting.flag in help_text
    assert setting.env in help_text


@pytest.mark.parametrize("setting", [pytest.param(s, id=s.name) for s in SETTINGS if s.commands])
def test_every_flag_is_on_its_commands(setting) -> None:  # type: ignore[no-untyped-def]
    for command in setting.commands:
        help_text = CliRunner().invoke(main, [command, "--help"], terminal_width=400).output
        assert setting.flag in help_text, (command, setting.flag)


def test_serve_flags_are_unchanged() -> None:
    """`kg serve` takes exactly the flags it took before the table moved to kg/settings.py
    (and the search index folder since search arrived, the body and send deadlines since
    the ASGI front and the trusted hosts, the client query lane's settings and the linked-data document limit, issue 15)."""
    command = main.commands["serve"]
    flags = [opt for param in command.params for opt in param.opts]
    assert flags == [
        "--store", "--update-url", "--graph-store-url", "--base-iri", "--host", "--port",
        "--workers", "--threads", "--query-workers", "--query-timeout", "--app-query-workers",
        "--client-queries", "--client-query-timeout", "--max-rows",
        "--query-memory-mb", "--max-document-triples", "--max-body-bytes", "--max-url-length", "--body-timeout",
        "--min-body-rate", "--send-timeout", "--update-token",
        "--allow-update", "--service-allow", "--trusted-host", "--cors-origin", "--rate-limit", "--license",
        "--dumps-dir", "--search-index-dir",
    ]  # fmt: skip


def test_precedence_defaults_environment_overrides() -> None:
    assert Settings.load({}, environ={}).query_timeout == 30.0
    from_env = Settings.load(
        {},
        environ={
            "KG_QUERY_TIMEOUT": "5",
            "KG_ALLOW_UPDATE": "yes",
            "KG_SERVICE_ALLOW": "http://a/ http://b/",
        },
    )
    assert from_env.query_timeout == 5.0 and from_env.allow_update is True
    assert from_env.service_allowlist == ("http://a/", "http://b/")
    assert from_env.explicit == {"query_timeout", "allow_update", "service_allowlist"}
    explicit = Settings.load({"query_timeout": 2}, environ={"KG_QUERY_TIMEOUT": "5"})
    assert explicit.query_timeout == 2.0


def test_hidden_settings_are_settings() -> None:
    """What tests and embedders used to pass through `extra` are settings with a variable."""
    settings = Settings.load({}, environ={"KG_WARM_REPORTS": "0", "KG_DUMP_WAIT": "1.5"})
    assert settings.warm_reports is False and settings.dump_wait == 1.5
    assert "warm_reports" not in settings.extra


def test_folders_become_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings.load({"store": "data/store", "dumps_dir": "out"}, environ={})
    assert settings.store == str(tmp_path / "data" / "store")
    assert settings.dumps_dir == str(tmp_path / "out")
    assert Settings.load({"store": "https://x.example/sparql"}, environ={}).store.startswith(
        "https://"
    )


def test_environment_round_trip() -> None:
    settings = Settings.load(
        {"port": 9001, "allow_update": True, "service_allowlist": ("http://x/",)}, environ={}
    )
    assert Settings.load({}, environ=settings.to_environ()) == Settings.load(
        {"port": 9001, "allow_update": True, "service_allowlist": ("http://x/",)}, environ={}
    )


def test_bad_base_iri_is_refused() -> None:
    with pytest.raises(ValueError, match="base IRI"):
        Settings.load({"base_iri": "ftp://nope"}, environ={})
