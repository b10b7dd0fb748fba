"""`loadmaster plan --plot FILE.png`: the placement and the cost as a picture."""

from __future__ import annotations

from loadmaster.cli import main
from loadmaster.errors import EXIT_BAD_INPUT
from loadmaster.synthesis import DEFAULT_PORTFOLIO


def test_plan_plot_writes_a_png_with_a_row_per_pool_and_one_for_the_cost(tmp_path, capsys):
    import matplotlib.image

    code = main(["plan", str(DEFAULT_PORTFOLIO), "--plot", str(tmp_path / "plan.png")])

    assert code == 0
    assert "# Plan for codegen-platform" in capsys.readouterr().out  # the Markdown still goes to stdout
    height, width, _ = matplotlib.image.imread(tmp_path / "plan.png").shape
    # Two columns (mean, peak) of 6 in, three rows (two pools, the cost) of 2.6 in, at 110 dpi.
    assert width > 1300 and 800 < height < 1100
    assert list(tmp_path.iterdir()) == [tmp_path / "plan.png"]  # nothing staged left behind


def test_a_plot_into_a_missing_folder_is_one_line_and_exit_2(tmp_path, capsys):
    code = main(["plan", str(DEFAULT_PORTFOLIO), "--plot", str(tmp_path / "missing" / "plan.png")])

    assert code == EXIT_BAD_INPUT
    assert capsys.readouterr().err.strip() == f"{tmp_path / 'missing' / 'plan.png'}: cannot write the picture: its folder does not exist"
    assert not (tmp_path / "missing").exists()
