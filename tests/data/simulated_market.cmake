# Tests of the simulated_market module.
gauntlet_test(simulated_market_test
  SRCS simulated_market_test.cpp
  DEPS simulated_market)
