# Tests of the simulated_market module.
