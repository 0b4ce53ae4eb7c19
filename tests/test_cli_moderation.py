"""The Flask CLI aliases for the moderation engine's model commands."""


def test_moderation_status_reports_active_scorer(runner):
    result = runner.invoke(args=["moderation", "status"])
    assert result.exit_code == 0, result.output
    assert "active:" in result.output


def test_fetch_model_passes_options_through(runner):
    result = runner.invoke(args=["moderation", "fetch-model", "--help"])
    assert result.exit_code == 0
    assert "--model" in result.output and "--sha256-prefix" in result.output
