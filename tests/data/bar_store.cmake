# Tests of the bar_store module.
