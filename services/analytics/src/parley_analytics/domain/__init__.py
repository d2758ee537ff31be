"""What analytics counts, as pure code: facts, tallies, histograms and report figures."""
