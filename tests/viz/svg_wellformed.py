#!/usr/bin/python3
"""svg_wellformed.py — parses the SVGs that svg_samples writes with Python's xml.etree (a real
XML parser) and checks the labels, legend entries and panel count survive escaping.

Run by ctest with --program <svg_samples binary>.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"


def texts(root):
    return [t.text for t in root.iter(SVG + "text")]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--program", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([args.program, tmp], check=True)
        assert sorted(os.listdir(tmp)) == ["heatmaps.svg", "line_plot.svg"], os.listdir(tmp)

        line = ET.parse(os.path.join(tmp, "line_plot.svg")).getroot()
        assert line.tag == SVG + "svg", line.tag
        words = texts(line)
        for expected in ["loss <train> & \"dev\"", "epoch", "loss", "train", "dev <held-out>", "best & final"]:
            assert expected in words, (expected, words)
        groups = [g.get("class") for g in line.iter(SVG + "g")]
        assert groups.count("series") == 3 and groups.count("legend") == 1, groups

        heat = ET.parse(os.path.join(tmp, "heatmaps.svg")).getroot()
        panels = [g for g in heat.iter(SVG + "g") if g.get("class") == "panel"]
        assert len(panels) == 4, len(panels)
        for i, panel in enumerate(panels):
            words = texts(panel)
            assert f"head {i}" in words, words
            for label in ["<bos>", "&", "'s", "\"cat\"", "<eos>", "a&b", "d'or", "<pad>", "keys", "queries"]:
                assert label in words, (label, words)
            assert len(list(panel.iter(SVG + "rect"))) == 5 * 6 + 1  # cells + frame
        assert "attention <layer 1>" in texts(heat)
    print("svg well-formed: line plot and 4-panel heatmap parse with xml.etree, labels intact")


if __name__ == "__main__":
    sys.exit(main())
