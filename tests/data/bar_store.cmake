# Tests of the bar_store module.
gauntlet_test(bar_store_test
  SRCS bar_store_test.cpp
  DEPS bar_store)
