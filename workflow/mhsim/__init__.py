"""mhsim: synthetic survey exports calibrated to the published report (docs/methods.md §4).

A workflow of its own (``workflow/simulate.smk``, ``make simulate``): the analysis never imports
it, it imports downward from :mod:`mhsurvey` (codebook, routing, cleaning, scoring, reliability).

Layout: :mod:`.targets` (published numbers by row id), :mod:`.background` (Vedlegg 1
composition), :mod:`.latent` (latent-threshold model), :mod:`.rules` (report classification
rules from ``config/scoring.yaml``), :mod:`.polish` (marginal-preserving swap search),
:mod:`.instruments` (the eight instruments), :mod:`.items` (chapter-2 questions, a package),
:mod:`.comments` (free text), :mod:`.generate` (one survey from a seed), :mod:`.export` (raw
export with quirks), :mod:`.calibrate` (solving the model), :mod:`.checks` (calibration table),
:mod:`.run` (entry points of the rules), :mod:`.marker` (``synthetic.json``). The model, the
quirks and how to regenerate: ``docs/synthetic.md``.
"""

from .generate import GENERATOR_VERSION

__all__ = ["GENERATOR_VERSION"]
