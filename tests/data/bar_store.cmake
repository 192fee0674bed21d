# Tests of the bar_store module.
gauntlet_test(bar_store_test
  SRCS bar_store_test.cpp bar_import_test.cpp
  DEPS bar_store
  LIBS nlohmann_json::nlohmann_json)
