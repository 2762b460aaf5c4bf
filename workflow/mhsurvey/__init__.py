"""mhsurvey: reproducible analysis pipeline for workforce mental-health surveys.

The package holds all logic of the Snakemake workflow (``workflow/rules``); the scripts in
``workflow/scripts`` only read inputs, call functions from here, and write outputs.
"""

__version__ = "0.1.0"
