from sagestep.cli.main import main


def test_version_prints_package_version(capsys):
    from sagestep import __version__

    try:
        main(["version"])
    except SystemExit as exc:  # pragma: no cover - typer may exit 0
        assert exc.code in (0, None)
    assert capsys.readouterr().out.strip() == __version__
