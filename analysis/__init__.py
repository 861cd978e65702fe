"""Studies: one script per figure set of the seed documents' findings (see ``_common``)."""
