"""The shared style: Okabe–Ito colours, one colour per model, column-wide saved figures."""

import numpy as np
from PIL import Image

from chronoscore.figures.style import COLUMN_WIDTH, DPI, PALETTE, model_colours, new_figure, paper_style, save_figure

OKABE_ITO = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"}


def test_palette_is_the_okabe_ito_set_with_yellow_last():
    assert set(PALETTE) == OKABE_ITO and len(PALETTE) == 8
    assert PALETTE[-1] == "#F0E442"


def test_model_colours_keep_given_colours_and_give_new_names_unused_ones():
    colours = model_colours(["b", "a", "b"])
    assert colours == {"b": PALETTE[0], "a": PALETTE[1]}
    extended = model_colours(["c", "a"], given=colours)
    assert extended["a"] == PALETTE[1] and extended["b"] == PALETTE[0]
    assert extended["c"] == PALETTE[2]                     # the first colour no model has yet


def test_model_colours_cycle_when_the_palette_is_used_up():
    names = [f"m{i}" for i in range(10)]
    colours = model_colours(names)
    assert [colours[name] for name in names] == [PALETTE[i % 8] for i in range(10)]


def test_save_figure_writes_a_column_wide_png_and_a_pdf(tmp_path):
    with paper_style():
        figure, (axis,) = new_figure(height=2.0)
        axis.plot(np.arange(3), np.arange(3))
    png, pdf = save_figure(figure, tmp_path / "sub" / "figure")
    assert png.name == "figure.png" and pdf.name == "figure.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    with Image.open(png) as image:
        assert image.size == (round(COLUMN_WIDTH * DPI), round(2.0 * DPI))
