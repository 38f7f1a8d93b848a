"""Server settings: one table drives `kg serve` flags, environment variables and the README."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from kg_server.config import SETTINGS, Settings, settings_markdown_table

from kg.cli import main

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_shows_the_settings_table() -> None:
    assert settings_markdown_table() in README.read_text(encoding="utf-8"), (
        "README's settings table is out of date: paste kg_server.config.settings_markdown_table()"
    )


@pytest.mark.parametrize("setting", [pytest.param(s, id=s.name) for s in SETTINGS])
def test_every_setting_has_a_serve_flag(setting) -> None:  # type: ignore[no-untyped-def]
    help_text = CliRunner().invoke(main, ["serve", "--help"]).output
    assert setting.flag in help_text
    assert setting.env in help_text


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
    explicit = Settings.load({"query_timeout": 2}, environ={"KG_QUERY_TIMEOUT": "5"})
    assert explicit.query_timeout == 2.0


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
